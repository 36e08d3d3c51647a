import type { Identity, Limits, ProviderRecord } from '@cch/core';

/** Where a limit is configured. A user inherits its group's limits dimension by dimension. */
export type LimitLevel = 'key' | 'user' | 'group' | 'provider';

/** A limit dimension, as named in YAML (SPEC §3). */
export type LimitDimension = keyof Limits;

export const LIMIT_DIMENSIONS: readonly LimitDimension[] = ['rpm', 'concurrentSessions', 'concurrentRequests', 'usd5h', 'usdDaily', 'usdWeekly', 'usdMonthly', 'usdTotal'];

/**
 * Something counters are kept for: a key, a user (whose limits default to its group's) or a
 * provider. Group limits are per-member defaults, so a group has no counter of its own; a
 * group subject (`counted: false`) only carries limits, for read-outs.
 */
export interface Subject {
  level: 'key' | 'user' | 'group' | 'provider';
  /** Database id (the name for a group). */
  id: number | string;
  /**
   * Redis Cluster hash tag shared by every key one script call touches: a key and its user
   * share `{lim:u<userId>}`, a provider has `{lim:p<id>}`.
   */
  tag: string;
  /** The limits that apply to this subject, inheritance resolved. */
  limits: Limits;
  /** Where each limit in `limits` was configured. */
  origin: Partial<Record<LimitDimension, LimitLevel>>;
  /** `key "laptop"`, `user "alice"`, `provider "claude-1"`: for messages. */
  label: string;
  groupName?: string;
  /** False for a group: it has limits but no counters. */
  counted: boolean;
}

function originOf(limits: Limits, level: LimitLevel): Subject['origin'] {
  const o: Subject['origin'] = {};
  for (const d of LIMIT_DIMENSIONS) if (limits[d] != null) o[d] = level;
  return o;
}

/** Strip null/undefined so `limits.x !== undefined` means "limited". */
function clean(limits: Limits | null | undefined): Limits {
  const out: Limits = {};
  if (!limits) return out;
  for (const d of LIMIT_DIMENSIONS) {
    const v = limits[d];
    if (v != null) out[d] = v;
  }
  return out;
}

/** A user's limits: its own where set, its group's otherwise. */
export function mergeUserLimits(user: Limits | null | undefined, group: Limits | null | undefined): { limits: Limits; origin: Subject['origin'] } {
  const u = clean(user);
  const g = clean(group);
  const limits: Limits = {};
  const origin: Subject['origin'] = {};
  for (const d of LIMIT_DIMENSIONS) {
    if (u[d] !== undefined) {
      limits[d] = u[d];
      origin[d] = 'user';
    } else if (g[d] !== undefined) {
      limits[d] = g[d];
      origin[d] = 'group';
    }
  }
  return { limits, origin };
}

export const userTag = (userId: number): string => `{lim:u${userId}}`;
export const providerTag = (providerId: number): string => `{lim:p${providerId}}`;

export function keySubject(input: { keyId: number; keyName: string; userId: number; limits: Limits | null | undefined }): Subject {
  const limits = clean(input.limits);
  return { level: 'key', id: input.keyId, tag: userTag(input.userId), limits, origin: originOf(limits, 'key'), label: `key "${input.keyName}"`, counted: true };
}

export function userSubject(input: { userId: number; userName: string; groupName?: string | undefined; user: Limits | null | undefined; group: Limits | null | undefined }): Subject {
  const { limits, origin } = mergeUserLimits(input.user, input.group);
  return { level: 'user', id: input.userId, tag: userTag(input.userId), limits, origin, label: `user "${input.userName}"`, groupName: input.groupName, counted: true };
}

export function groupSubject(name: string, limits: Limits | null | undefined): Subject {
  const l = clean(limits);
  return { level: 'group', id: name, tag: `{lim:g:${name}}`, limits: l, origin: originOf(l, 'group'), label: `group "${name}"`, groupName: name, counted: false };
}

const providerSubjects = new WeakMap<object, Subject>();

/** A provider's subject; built once per provider record (records are replaced when the config changes). */
export function providerSubject(p: Pick<ProviderRecord, 'id' | 'name' | 'limits'>): Subject {
  let s = providerSubjects.get(p);
  if (!s) providerSubjects.set(p, (s = buildProviderSubject(p)));
  return s;
}

function buildProviderSubject(p: Pick<ProviderRecord, 'id' | 'name' | 'limits'>): Subject {
  const limits = clean(p.limits);
  return { level: 'provider', id: p.id, tag: providerTag(p.id), limits, origin: originOf(limits, 'provider'), label: `provider "${p.name}"`, counted: true };
}

const subjectsOf = new WeakMap<Identity, [Subject, Subject]>();

/**
 * The key and the user of a caller; both are enforced. They share a hash tag (one script call).
 * Auth hands out one Identity object per key until its cache entry expires, so the subjects are
 * built once per identity, not once per plugin and request. Treat the result as read-only.
 */
export function identitySubjects(id: Identity): [Subject, Subject] {
  let subjects = subjectsOf.get(id);
  if (!subjects) {
    subjects = [
      keySubject({ keyId: id.keyId, keyName: id.keyName, userId: id.userId, limits: id.limits.key }),
      userSubject({ userId: id.userId, userName: id.userName, groupName: id.groupName, user: id.limits.user, group: id.limits.group }),
    ];
    subjectsOf.set(id, subjects);
  }
  return subjects;
}

/** Store key of one counter family of a subject: `{lim:u42}:rpm:key:7`. */
export function counterKey(s: Subject, family: string): string {
  return `${s.tag}:${family}:${s.level}:${s.id}`;
}

/**
 * `keys(subject)` built once per subject (subjects live as long as their identity or provider
 * record), so the hot path neither rebuilds key strings nor rehashes them in maps.
 */
export function subjectKeys(build: (s: Subject) => string[]): (s: Subject) => string[] {
  const cache = new WeakMap<Subject, string[]>();
  return (s) => {
    let keys = cache.get(s);
    if (!keys) cache.set(s, (keys = build(s)));
    return keys;
  };
}

/** Who a limit belongs to, for messages: `group "senior" limit of user "alice"`. */
export function describeLimit(s: Subject, dim: LimitDimension): string {
  const origin = s.origin[dim];
  if (origin === 'group' && s.groupName !== undefined) return `group "${s.groupName}" limit for ${s.label}`;
  return `${s.label} limit`;
}
