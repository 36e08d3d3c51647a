import { withDeadline, type Logger, type Services, type Store } from '@cch/core';
import type { Exclusion, RouteCandidate } from './candidates.ts';

/**
 * What the balancer needs of the `providerLimits` service: whether a provider is within its own
 * limits (rpm, concurrent sessions, spend…). The limit plugins provide it (and declare it in
 * `Services`); without them every provider is. `sessionId` lets a session already active on a
 * provider keep it at its concurrent-session limit.
 */
export interface ProviderLimitsService {
  isAvailable(providerId: number, opts?: { sessionId?: string }): Promise<boolean> | boolean;
}

/** The breaker as the balancer uses it (provided by the circuit-breaker plugin). */
export type BreakerLike = Pick<Services['breaker'], 'state' | 'allow' | 'recordAttempt'> & Partial<Pick<Services['breaker'], 'on'>>;

/**
 * Circuit states and cool-downs seen in the last moment, so a burst of requests does not ask the
 * store the same questions for every provider each time. Cleared at once when this instance
 * changes a circuit or sets a cool-down; other instances' changes are seen within `ttlMs`.
 */
export interface HealthCache {
  /** The value itself once it has arrived (no promise, no time limit to wrap it in), else the load in flight. */
  get<T>(key: string, load: () => Promise<T>): T | Promise<T>;
  clear(key?: string): void;
}

interface HealthEntry {
  at: number;
  value: Promise<unknown>;
  settled: boolean;
  result?: unknown;
}

export function createHealthCache(ttlMs: number, clock: () => number = Date.now): HealthCache {
  const entries = new Map<string, HealthEntry>();
  return {
    get<T>(key: string, load: () => Promise<T>): T | Promise<T> {
      const hit = entries.get(key);
      const now = clock();
      if (hit && now - hit.at < ttlMs) return hit.settled ? (hit.result as T) : (hit.value as Promise<T>);
      const value = load();
      // Stale entries are only replaced on use; keys per session make the map grow, so bound it.
      if (entries.size >= 10_000) entries.clear();
      const entry: HealthEntry = { at: now, value, settled: false };
      entries.set(key, entry);
      value.then(
        (v) => {
          entry.settled = true;
          entry.result = v;
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return value;
    },
    clear(key) {
      if (key === undefined) entries.clear();
      else entries.delete(key);
    },
  };
}

const CALL_TIMEOUT_MS = 500;
const MAX_COOLDOWN_S = 86_400;
/** After a failed lookup, skip it this long before trying again. */
const RETRY_FAILED_MS = 5_000;
/** A lookup that fails again (after working in between) warns at most this often. */
const WARN_EVERY_MS = 60_000;

/**
 * Runs store and service calls so their failure never fails a request: it logs once and goes on.
 * A call that answers at once (a cached value) is answered at once too — no promise — so a
 * request whose lookups are all cached routes without waiting for a microtask per lookup.
 */
export interface Guard {
  <T>(what: string, call: () => Promise<T> | T, fallback: T): T | Promise<T>;
}

export function createGuard(logger: Logger, clock: () => number = Date.now): Guard {
  /** Lookups that are failing, with when to try them again: a hung Redis must not slow every request. */
  const failing = new Map<string, number>();
  /** Per lookup: when its last warning was logged, failures since then not logged, and whether this outage was. */
  const warned = new Map<string, { at: number; quiet: number; open: boolean }>();
  const recovered = (what: string) => {
    if (failing.size === 0 || !failing.delete(what)) return;
    const w = warned.get(what);
    if (w?.open) {
      w.open = false;
      logger.info({ what }, 'balancer: lookup works again');
    }
  };
  const failed = <T>(what: string, err: unknown, fallback: T): T => {
    // Once per failure, not once per caller: a burst of requests whose lookups all time out
    // together (a saturated loop, a hung Redis) would otherwise log — and format — each one.
    // A lookup that keeps failing and recovering (some calls of a burst in time, some not) warns
    // at most once a minute, with the count of the failures in between.
    if (!failing.has(what)) {
      const now = clock();
      const w = warned.get(what);
      if (!w || now - w.at >= WARN_EVERY_MS) {
        logger.warn({ err, what, ...(w?.quiet ? { failuresSinceLastWarning: w.quiet } : {}) }, 'balancer: a lookup failed; routing without it (fail-open) until it works again');
        warned.set(what, { at: now, quiet: 0, open: true });
      } else w.quiet++;
    }
    failing.set(what, clock() + RETRY_FAILED_MS);
    return fallback;
  };
  return <T>(what: string, call: () => Promise<T> | T, fallback: T): T | Promise<T> => {
    const retryAt = failing.size > 0 ? failing.get(what) : undefined;
    if (retryAt !== undefined && clock() < retryAt) return fallback;
    let r: Promise<T> | T;
    try {
      r = call();
    } catch (err) {
      return failed(what, err, fallback);
    }
    if (!(r instanceof Promise)) {
      recovered(what);
      return r;
    }
    return withDeadline(r, CALL_TIMEOUT_MS, `timed out after ${CALL_TIMEOUT_MS} ms`).then(
      (v) => {
        recovered(what);
        return v;
      },
      (err: unknown) => failed(what, err, fallback),
    );
  };
}

const cooldownKey = (providerId: number): string => `balancer:cooldown:${providerId}`;

/** Remember, for every instance, that a provider asked for a pause (`Retry-After`). */
export function coolDown(store: Store, providerId: number, seconds: number, now: number, cache?: HealthCache): Promise<unknown> {
  const s = Math.min(MAX_COOLDOWN_S, seconds);
  cache?.clear(cooldownKey(providerId));
  return store.set(cooldownKey(providerId), String(now + s * 1000), { ttlMs: s * 1000 });
}

export interface HealthDeps {
  store: Store;
  cache: HealthCache;
  breaker: BreakerLike | undefined;
  limits: ProviderLimitsService | undefined;
  guard: Guard;
  now: number;
  sessionId: string | undefined;
}

export interface Health {
  available: RouteCandidate[];
  excluded: Exclusion[];
}

type Look = [RouteCandidate, Awaited<ReturnType<BreakerLike['state']>> | undefined, boolean, string | null];

/**
 * Split candidates into available ones and those excluded for health: circuit open (half-open
 * ones stay, flagged), over their own limits, or cooling down after a `Retry-After`. All lookups
 * run in parallel; one that fails counts as "available". When every answer is cached the split
 * is returned directly (no promise).
 */
export function checkHealth(cands: readonly RouteCandidate[], deps: HealthDeps): Health | Promise<Health> {
  const { breaker, limits, guard } = deps;
  let pending = false;
  const looks = cands.map((c) => {
    const id = c.provider.id;
    const look = [
      c,
      breaker ? guard('breaker', () => deps.cache.get(`circuit:${id}`, () => breaker.state(id)), undefined) : undefined,
      limits ? guard('providerLimits', () => providerWithinLimits(deps, limits, id), true) : true,
      guard('store', () => deps.cache.get(cooldownKey(id), () => deps.store.get(cooldownKey(id))), null),
    ] as const;
    if (look[1] instanceof Promise || look[2] instanceof Promise || look[3] instanceof Promise) pending = true;
    return look;
  });
  if (!pending) return split(looks as Look[], deps.now);
  return Promise.all(looks.map(async ([c, circuit, within, cooling]) => [c, await circuit, await within, await cooling] as Look)).then((l) => split(l, deps.now));
}

function split(looks: Look[], now: number): Health {
  const available: RouteCandidate[] = [];
  const excluded: Exclusion[] = [];
  for (const [c, circuit, withinLimits, cooling] of looks) {
    const coolUntil = cooling === null ? undefined : Number(cooling);
    const who = { id: c.provider.id, name: c.provider.name };
    if (circuit?.state === 'open') excluded.push({ ...who, reason: 'circuit_open', until: circuit.retryAt });
    else if (coolUntil !== undefined && coolUntil > now) excluded.push({ ...who, reason: 'cooling_down', until: coolUntil });
    else if (!withinLimits) excluded.push({ ...who, reason: 'rate_limited' });
    else available.push({ ...c, halfOpen: circuit?.state === 'half_open' });
  }
  return { available, excluded };
}

/**
 * Provider limits are advisory for routing: a "yes" for a session is reused for a moment (the limit plugins
 * enforce on their own); a "no" is asked again each time, since a session already active on the
 * provider may still be let through.
 */
function providerWithinLimits(deps: HealthDeps, limits: ProviderLimitsService, id: number): boolean | Promise<boolean> {
  const key = `limits:${id}:${deps.sessionId ?? ''}`;
  const ok = deps.cache.get(key, async () => limits.isAvailable(id, { sessionId: deps.sessionId }));
  if (ok === false) deps.cache.clear(key);
  if (typeof ok === 'boolean') return ok;
  return ok.then((v) => {
    if (!v) deps.cache.clear(key);
    return v;
  });
}
