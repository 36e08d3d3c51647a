import { ApiKeyEntity, GroupEntity, UserEntity, type ProviderRecord, type SetupContext } from '@cch/core';
import { groupSubject, keySubject, providerSubject, userSubject, type LimitDimension, type LimitLevel, type Subject } from './subjects.ts';

/** One limit dimension of one subject, as the admin API shows it. */
export interface WindowUsage {
  /**
   * What counts against the limit now: requests in the last minute (`rpm`), in flight
   * (`concurrent*`), settled USD in the window (`usd*`). Null for a group: group limits are
   * per-member defaults, not a shared counter.
   */
  used: number | null;
  /** USD held by reservations of requests still in flight (`usd*` only). */
  reserved?: number;
  /** The limit, or null when this dimension is not limited. */
  limit: number | null;
  /** When the window resets or frees capacity (ISO 8601), or null when it never does or nothing is counted. */
  resetAt: string | null;
}

export type LimitUsage = Partial<Record<LimitDimension, WindowUsage>>;

/** Counter health of one limit plugin. */
export interface LimitStoreStatus {
  plugin: string;
  /** True while this plugin counts in per-instance memory because the shared store failed. */
  degraded: boolean;
  since: string | null;
  lastError: string | null;
}

/** What each limit plugin contributes to the `limits` service. */
export interface LimitsPart {
  plugin: string;
  usage(subject: Subject): Promise<LimitUsage>;
  status(): LimitStoreStatus;
}

/**
 * The `limits` service: current usage per window, and whether the counters are degraded.
 * Provided by the first limit plugin loaded; the others join it.
 */
export interface LimitsService {
  /**
   * Usage of every loaded limit dimension for a key (id), user (id or name), group (name) or
   * provider (id or name). Undefined when there is no such subject.
   */
  usage(level: LimitLevel, id: number | string): Promise<LimitUsage | undefined>;
  /** `degraded` is true when any limit plugin fell back to per-instance memory counters. */
  status(): { degraded: boolean; plugins: LimitStoreStatus[] };
  /** For limit plugins: add this plugin's dimensions. */
  register(part: LimitsPart): void;
}

/** Asked by the balancer before choosing a provider. */
export type ProviderCheck = (provider: ProviderRecord, opts: { sessionId?: string }) => Promise<boolean>;

/**
 * The `providerLimits` service: whether a provider is within its own limits (rpm, concurrent
 * sessions/requests, USD). A session already active on the provider keeps it available even
 * at its concurrent-session limit.
 */
export interface ProviderLimitsService {
  isAvailable(providerId: number, opts?: { sessionId?: string }): Promise<boolean>;
  /** For limit plugins: add this plugin's check (all must pass). */
  register(plugin: string, check: ProviderCheck): void;
}

declare module '@cch/core' {
  interface Services {
    limits: LimitsService;
    providerLimits: ProviderLimitsService;
  }
}

type Ctx = Pick<SetupContext<unknown>, 'db' | 'providers' | 'logger' | 'provide' | 'tryInject' | 'reportHealth'>;

const numericId = (id: number | string): number | undefined => (typeof id === 'number' ? id : /^\d+$/.test(id) ? Number(id) : undefined);

/** Finds the subject a read-out is about, limits resolved from the database. */
async function resolveSubject(ctx: Ctx, level: LimitLevel, id: number | string): Promise<Subject | undefined> {
  const em = ctx.db.em();
  const num = numericId(id);
  switch (level) {
    case 'provider': {
      const p = num !== undefined ? ctx.providers.get(num) : ctx.providers.byName(String(id));
      return p ? providerSubject(p) : undefined;
    }
    case 'group': {
      const g = await em.findOne(GroupEntity, { name: String(id) });
      return g ? groupSubject(g.name, g.limits) : undefined;
    }
    case 'key': {
      if (num === undefined) return undefined;
      const k = await em.findOne(ApiKeyEntity, { id: num });
      return k ? keySubject({ keyId: k.id, keyName: k.name, userId: k.userId, limits: k.limits }) : undefined;
    }
    case 'user': {
      const u = await em.findOne(UserEntity, num !== undefined ? { id: num } : { name: String(id) });
      if (!u) return undefined;
      const g = u.groupName ? await em.findOne(GroupEntity, { name: u.groupName }) : null;
      return userSubject({ userId: u.id, userName: u.name, groupName: u.groupName ?? undefined, user: u.limits, group: g?.limits });
    }
  }
}

function createLimitsService(ctx: Ctx): LimitsService {
  const parts: LimitsPart[] = [];
  return {
    async usage(level, id) {
      const subject = await resolveSubject(ctx, level, id);
      if (!subject) return undefined;
      const out: LimitUsage = {};
      for (const part of parts) Object.assign(out, await part.usage(subject));
      return out;
    },
    status() {
      const plugins = parts.map((p) => p.status());
      return { degraded: plugins.some((p) => p.degraded), plugins };
    },
    register(part) {
      parts.push(part);
    },
  };
}

function createProviderLimitsService(ctx: Ctx): ProviderLimitsService {
  const checks: { plugin: string; check: ProviderCheck }[] = [];
  return {
    async isAvailable(providerId, opts = {}) {
      const provider = ctx.providers.get(providerId);
      if (!provider) return true;
      const results = await Promise.all(
        checks.map(({ plugin, check }) =>
          check(provider, opts).catch((err: unknown) => {
            // A limit we cannot read must not take a provider out of rotation.
            ctx.logger.warn({ plugin, provider: provider.name, err: (err as Error).message }, 'provider limit check failed; treating the provider as available');
            return true;
          }),
        ),
      );
      return results.every(Boolean);
    },
    register(plugin, check) {
      checks.push({ plugin, check });
    },
  };
}

/**
 * Join the shared `limits` and `providerLimits` services: the first limit plugin set up
 * provides them, later ones add to them (each plugin stays loadable on its own).
 */
export function joinLimitServices(ctx: Ctx, part: LimitsPart, providerCheck: ProviderCheck): void {
  let limits = ctx.tryInject('limits');
  if (!limits) {
    limits = createLimitsService(ctx);
    ctx.provide('limits', limits);
  }
  limits.register(part);
  const service = limits;
  ctx.reportHealth(() => {
    const mine = service.status().plugins.find((p) => p.plugin === part.plugin);
    return { degraded: mine?.degraded ?? false, since: mine?.since ?? null, lastError: mine?.lastError ?? null };
  });
  let providerLimits = ctx.tryInject('providerLimits');
  if (!providerLimits) {
    providerLimits = createProviderLimitsService(ctx);
    ctx.provide('providerLimits', providerLimits);
  }
  providerLimits.register(part.plugin, providerCheck);
}
