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

/** Runs store and service calls so their failure never fails a request: it logs once and goes on. */
export interface Guard {
  <T>(what: string, call: () => Promise<T> | T, fallback: T): Promise<T>;
}

export function createGuard(logger: Logger, clock: () => number = Date.now): Guard {
  /** Lookups that are failing, with when to try them again: a hung Redis must not slow every request. */
  const failing = new Map<string, number>();
  return async <T>(what: string, call: () => Promise<T> | T, fallback: T): Promise<T> => {
    const retryAt = failing.get(what);
    if (retryAt !== undefined && clock() < retryAt) return fallback;
    try {
      const r = call();
      const v = r instanceof Promise ? await withDeadline(r, CALL_TIMEOUT_MS, `timed out after ${CALL_TIMEOUT_MS} ms`) : r;
      if (failing.delete(what)) logger.info({ what }, 'balancer: lookup works again');
      return v;
    } catch (err) {
      // Once per failure, not once per caller: a burst of requests whose lookups all time out
      // together (a saturated loop, a hung Redis) would otherwise log — and format — each one.
      if (!failing.has(what)) logger.warn({ err, what }, 'balancer: a lookup failed; routing without it (fail-open) until it works again');
      failing.set(what, clock() + RETRY_FAILED_MS);
      return fallback;
    }
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

/**
 * Split candidates into available ones and those excluded for health: circuit open (half-open
 * ones stay, flagged), over their own limits, or cooling down after a `Retry-After`. All lookups
 * run in parallel; one that fails counts as "available".
 */
export async function checkHealth(cands: readonly RouteCandidate[], deps: HealthDeps): Promise<{ available: RouteCandidate[]; excluded: Exclusion[] }> {
  const { breaker, limits, guard } = deps;
  const looks = await Promise.all(
    cands.map(async (c) => {
      const id = c.provider.id;
      const [circuit, withinLimits, cooling] = await Promise.all([
        breaker ? guard('breaker', () => deps.cache.get(`circuit:${id}`, () => breaker.state(id)), undefined) : undefined,
        limits ? guard('providerLimits', () => providerWithinLimits(deps, limits, id), true) : true,
        guard('store', () => deps.cache.get(cooldownKey(id), () => deps.store.get(cooldownKey(id))), null),
      ]);
      return { c, circuit, withinLimits, coolUntil: cooling === null ? undefined : Number(cooling) };
    }),
  );
  const available: RouteCandidate[] = [];
  const excluded: Exclusion[] = [];
  for (const { c, circuit, withinLimits, coolUntil } of looks) {
    const who = { id: c.provider.id, name: c.provider.name };
    if (circuit?.state === 'open') excluded.push({ ...who, reason: 'circuit_open', until: circuit.retryAt });
    else if (coolUntil !== undefined && coolUntil > deps.now) excluded.push({ ...who, reason: 'cooling_down', until: coolUntil });
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
