import { GatewayError, type AttemptRecord, type Exchange, type Logger, type PhaseMiddleware, type ProviderDirectory, type SettledExchange, type Store } from '@cch/core';
import { REQUEST_SPECIFIC, staticCandidates, type Exclusion, type RouteCandidate } from './candidates.ts';
import { checkHealth, coolDown, createGuard, createHealthCache, type BreakerLike, type ProviderLimitsService } from './health.ts';
import { chooseFirst, type FirstChoice, type Rng } from './picker.ts';
import { createPlan } from './plan.ts';
import { deriveSession, type SessionInfo } from '@cch/core';

/** How long a circuit state or cool-down read from the store is reused. */
const HEALTH_CACHE_MS = 100;

export interface BalancerOptions {
  maxAttempts: number;
  stickyReturnToHigherPriority: boolean;
  sessionTtlSeconds: number;
}

export interface BalancerDeps {
  options: BalancerOptions;
  providers: ProviderDirectory;
  store: Store;
  logger: Logger;
  /** Looked up per request, so the order plugins load in does not matter. */
  breaker(): BreakerLike | undefined;
  limits(): ProviderLimitsService | undefined;
  rng?: Rng;
  now?: () => number;
}

const sessionKey = (id: string): string => `session:${id}`;

/** A binding read (or written) by this instance is reused this long before it is read again. */
const BINDING_READ_MS = 250;

/**
 * Session → provider bindings as this instance last read or wrote them. Every request of a
 * session used to read its binding and write it back (to slide the TTL): two store calls. Now a
 * binding is read at most every {@link BINDING_READ_MS}, and an unchanged binding is written at
 * most every `refreshMs` (a tenth of the session TTL), which keeps it alive just the same.
 */
function createBindings(store: Store, ttlMs: number, guard: ReturnType<typeof createGuard>, now: () => number) {
  const refreshMs = Math.min(30_000, ttlMs / 10);
  const seen = new Map<string, { value: string | null; readAt: number; writtenAt: number }>();
  const remember = (id: string, e: { value: string | null; readAt: number; writtenAt: number }) => {
    if (seen.size >= 50_000) seen.clear();
    seen.set(id, e);
  };
  return {
    /** The provider a session is bound to; at once (no promise) when read in the last moment. */
    get(id: string): string | null | Promise<string | null> {
      const t = now();
      const e = seen.get(id);
      if (e && t - e.readAt < BINDING_READ_MS) return e.value;
      const read = (value: string | null) => {
        remember(id, { value, readAt: t, writtenAt: e?.value === value ? e.writtenAt : 0 });
        return value;
      };
      const value = guard('store', () => store.get(sessionKey(id)), null);
      return value instanceof Promise ? value.then(read) : read(value);
    },
    bind(id: string, providerId: number): void {
      const t = now();
      const value = String(providerId);
      const e = seen.get(id);
      if (e && e.value === value && t - e.writtenAt < refreshMs) return;
      remember(id, { value, readAt: t, writtenAt: t });
      // One write both binds and slides the TTL; not awaited, so no round trip on the hot path.
      void guard('store', () => store.set(sessionKey(id), value, { ttlMs }), false);
    },
  };
}

/**
 * The balancer's hooks: `identify` derives the session id right after authentication (so limit
 * plugins can count sessions), `route` builds the plan, `settle` records cool-downs the plan did
 * not hear about (the last attempt's Retry-After).
 */
export function createBalancer(deps: BalancerDeps) {
  const { options, store, logger } = deps;
  const rng = deps.rng ?? Math.random;
  const now = deps.now ?? Date.now;
  const guard = createGuard(logger);
  const cache = createHealthCache(HEALTH_CACHE_MS, now);
  let watching: BreakerLike | undefined;
  /** Local circuit changes clear the cache at once (other instances' within HEALTH_CACHE_MS). */
  const watch = (breaker: BreakerLike | undefined) => {
    if (!breaker || watching === breaker || !breaker.on) return;
    watching = breaker;
    for (const event of ['opened', 'half_open', 'closed'] as const) breaker.on(event, () => cache.clear());
  };
  const ttlMs = options.sessionTtlSeconds * 1000;
  const bindings = createBindings(store, ttlMs, guard, now);
  /** Attempts whose Retry-After was already honoured. */
  const cooled = new WeakSet<AttemptRecord>();

  function sessionOf(ex: Exchange): SessionInfo | undefined {
    if (ex.sessionId) return { id: ex.sessionId, source: 'exchange' };
    const s = deriveSession(ex);
    if (s) ex.sessionId = s.id;
    return s;
  }

  function honourRetryAfter(a: AttemptRecord): void {
    if (cooled.has(a) || !a.retryAfterSeconds || a.retryAfterSeconds <= 0) return;
    cooled.add(a);
    void guard('store', () => coolDown(store, a.providerId, a.retryAfterSeconds!, now(), cache), undefined);
  }

  const identify: PhaseMiddleware = async (c, next) => {
    if (c.exchange.endpoint.operation !== 'list_models') sessionOf(c.exchange);
    await next();
  };

  const route: PhaseMiddleware = async (c, next) => {
    const ex = c.exchange;
    if (ex.endpoint.operation === 'list_models') return next();
    const session = sessionOf(ex);
    const { candidates, excluded } = staticCandidates(ex, deps.providers);
    if (candidates.length === 0) {
      ex.decision.push(candidatesStep(session, undefined, [], excluded));
      throw new GatewayError(404, 'not_found', ex.model ? `no provider serves model "${ex.model}" for this key` : 'no provider serves this request for this key');
    }
    const breaker = deps.breaker();
    watch(breaker);
    // Both lookups start before either is awaited; when both were cached, neither is a promise.
    const boundLookup = session ? bindings.get(session.id) : null;
    const healthLookup = checkHealth(candidates, { store, cache, breaker, limits: deps.limits(), guard, now: now(), sessionId: session?.id });
    const [bound, health] = boundLookup instanceof Promise || healthLookup instanceof Promise ? await Promise.all([boundLookup, healthLookup]) : [boundLookup, healthLookup];
    excluded.push(...health.excluded);
    const boundId = bound === null ? undefined : Number(bound);
    let available = health.available;
    let first: FirstChoice<RouteCandidate> | undefined;
    let probe = false;
    while (available.length > 0) {
      first = chooseFirst(available, boundId, options.stickyReturnToHigherPriority, rng)!;
      if (!first.chosen.halfOpen) break;
      const id = first.chosen.provider.id;
      probe = breaker ? await guard('breaker', () => breaker.allow(id, ex.id), true) : true;
      if (probe) break;
      excluded.push({ id, name: first.chosen.provider.name, reason: 'circuit_open', detail: 'probe_busy' });
      available = available.filter((x) => x !== first!.chosen);
      first = undefined;
    }
    ex.decision.push(candidatesStep(session, boundId, available, excluded));
    if (!first) throw unavailable(ex, excluded, now());

    const chosen = first.chosen;
    ex.decision.push({
      by: 'balancer',
      step: 'pick',
      attempt: 1,
      provider: chosen.provider.name,
      providerId: chosen.provider.id,
      how: first.how,
      ...(probe ? { probe: true } : {}),
      ...(first.reason ? { reason: first.reason } : {}),
      ...(first.probabilities ? { probabilities: first.probabilities } : {}),
    });
    // A binding survives requests its provider cannot serve for request-specific reasons (another model…).
    const boundExclusion = excluded.find((e) => e.id === boundId);
    const mayBind = session !== undefined && !(boundExclusion && REQUEST_SPECIFIC.has(boundExclusion.reason));
    const rest = available.filter((x) => x !== chosen && !x.halfOpen);
    ex.plan = createPlan({
      ex,
      first: chosen,
      rest,
      maxAttempts: Math.max(1, Math.min(options.maxAttempts, 1 + rest.length)),
      rng,
      onFailed(a) {
        if (breaker) void guard('breaker', () => breaker.recordAttempt(a, ex.id), undefined);
        honourRetryAfter(a);
      },
      onAnswered(a) {
        if (mayBind && (!a.errorClass || a.errorClass === 'client')) bindings.bind(session.id, a.providerId);
      },
    });
    await next();
  };

  function settle(ex: SettledExchange): void {
    for (const a of ex.attempts) honourRetryAfter(a);
  }

  return { identify, route, settle };
}

function candidatesStep(session: SessionInfo | undefined, boundId: number | undefined, available: readonly RouteCandidate[], excluded: readonly Exclusion[]): Record<string, unknown> {
  return {
    by: 'balancer',
    step: 'candidates',
    session: session ? { id: session.id, source: session.source, boundProviderId: boundId ?? null } : null,
    candidates: available.map((c) => ({
      id: c.provider.id,
      name: c.provider.name,
      priority: c.provider.priority,
      weight: c.provider.weight,
      format: c.adapter.format,
      translated: c.translated,
      ...(c.halfOpen ? { circuit: 'half_open' } : {}),
    })),
    excluded: excluded.map((e) => ({ ...e })),
  };
}

/** 503 when providers exist for the request but none is available now, with a Retry-After when one is known. */
function unavailable(ex: Exchange, excluded: readonly Exclusion[], now: number): GatewayError {
  const health = excluded.filter((e) => !REQUEST_SPECIFIC.has(e.reason) && e.reason !== 'disabled' && e.reason !== 'no_adapter');
  const waits = health.map((e) => e.until).filter((u): u is number => u !== undefined && u > now);
  const why = health.map((e) => `${e.name}: ${e.reason.replace('_', ' ')}`).join(', ');
  const headers: Record<string, string> = waits.length ? { 'retry-after': String(Math.max(1, Math.ceil((Math.min(...waits) - now) / 1000))) } : {};
  const what = ex.model ? `model "${ex.model}"` : 'this request';
  return new GatewayError(503, 'overloaded', `every provider for ${what} is unavailable right now (${why})`, headers);
}
