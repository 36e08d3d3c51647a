import { Type } from '@sinclair/typebox';
import { definePlugin, type Exchange, type ProviderRecord } from '@cch/core';
import {
  createFailoverStore,
  createReadCache,
  describeLimit,
  identitySubjects,
  joinLimitServices,
  providerSubject,
  rateLimitHeaders,
  rejectionError,
  resetPhrase,
  roomy,
  secondsUntil,
  untried,
  watchAttempts,
  type LimitUsage,
} from '../../limits-common/src/index.ts';
import { createRpmLimiter, type RpmCheck } from './limiter.ts';

const options = Type.Object({}, { additionalProperties: false });

/** How long a provider's count, read for the balancer, is reused. */
const PROVIDER_READ_MS = 100;

/**
 * Requests per minute: an exact sliding window per key, per user (its group's limit unless it
 * sets its own) and per provider, shared by every instance through the store.
 */
export default definePlugin({
  name: 'limit-rpm',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'limit',
  description: 'Requests per minute per key, user (group default) and provider: exact sliding window; 429 with Retry-After.',
  options,
  setup(ctx) {
    const store = createFailoverStore({ shared: ctx.store, logger: ctx.logger });
    ctx.onClose(() => store.close());
    const limiter = createRpmLimiter(store);
    const providerReads = createReadCache<{ count: number; freeAtMs: number | undefined }>(PROVIDER_READ_MS);

    joinLimitServices(
      ctx,
      {
        plugin: ctx.name,
        async usage(subject) {
          const limit = subject.limits.rpm ?? null;
          if (!subject.counted) return { rpm: { used: null, limit, resetAt: null } } satisfies LimitUsage;
          const { count, freeAtMs } = await limiter.peek(subject, Date.now());
          return { rpm: { used: count, limit, resetAt: freeAtMs === undefined ? null : new Date(freeAtMs).toISOString() } };
        },
        status() {
          const s = store.status();
          return { plugin: ctx.name, degraded: s.degraded, since: s.since?.toISOString() ?? null, lastError: s.lastError ?? null };
        },
      },
      async (provider) => {
        const limit = provider.limits.rpm;
        if (limit == null) return true;
        // A reading up to 100 ms old is reused while the provider is well below its limit.
        const { count } = await providerReads.get(
          provider.id,
          () => limiter.peek(providerSubject(provider), Date.now()),
          (v) => roomy(v.count, limit),
        );
        return count < limit;
      },
    );

    ctx.use('limit', (c, next) => {
      const ex = c.exchange;
      if (!ex.identity || ex.endpoint.operation !== 'generate') return next();
      const checks: RpmCheck[] = identitySubjects(ex.identity)
        .filter((s) => s.limits.rpm !== undefined)
        .map((subject) => ({ subject, limit: subject.limits.rpm }));
      if (checks.length === 0) return next();
      const now = Date.now();
      // Checked alongside the other limits (one store round trip); the proxy waits for the verdict.
      c.admit(
        limiter.acquire(checks, ex.id, now).then((r) => {
          if (!r.ok) {
            const limit = r.check.limit!;
            throw rejectionError({
              status: 429,
              type: 'rpm',
              limit: String(limit),
              remaining: '0',
              resetAtMs: r.freeAtMs,
              retryAfterSeconds: secondsUntil(r.freeAtMs, now),
              message: `Rate limit exceeded: ${describeLimit(r.check.subject, 'rpm')} of ${limit} requests per minute reached; ${resetPhrase(r.freeAtMs, now)}.`,
            });
          }
          const t = r.tightest;
          if (t) c.set(rateLimitHeaders(String(t.check.limit), String(Math.max(0, t.check.limit! - t.count)), t.freeAtMs));
        }),
      );
      return next();
    });

    // Providers: counted when the proxy picks them (the plan's first one while the admission
    // checks are in flight); the balancer asks providerLimits first.
    const recorded = new WeakMap<Exchange, Map<number, { provider: ProviderRecord; member: string; done: Promise<unknown> }>>();
    watchAttempts(ctx, (ex, provider) => {
      if (provider.limits.rpm == null) return;
      let mine = recorded.get(ex);
      if (!mine) recorded.set(ex, (mine = new Map()));
      const member = `${ex.id}#${mine.size + 1}`;
      const done = limiter
        .record(providerSubject(provider), member, Date.now())
        .catch((err: unknown) => ctx.logger.debug({ err, provider: provider.name }, 'provider rpm not recorded'));
      mine.set(provider.id, { provider, member, done });
    });
    // A provider counted early that the request never reached (refused by a limit, client gone)
    // gets its entry back.
    ctx.onSettle(async (ex) => {
      const mine = recorded.get(ex);
      if (!mine) return;
      await Promise.all(
        untried(ex, mine.keys()).map(async (id) => {
          const r = mine.get(id)!;
          await r.done;
          await limiter.forget(providerSubject(r.provider), r.member).catch((err: unknown) => ctx.logger.debug({ err, provider: r.provider.name }, 'provider rpm entry not taken back'));
        }),
      );
    });
  },
});

export { createRpmLimiter, RPM_WINDOW_MS, type RpmLimiter, type RpmCheck, type RpmResult } from './limiter.ts';
