import { Type } from '@sinclair/typebox';
import { definePlugin, type Exchange, type ProviderRecord } from '@cch/core';
import {
  createFailoverStore,
  createReadCache,
  describeLimit,
  identitySubjects,
  joinLimitServices,
  providerSubject,
  rejectionError,
  roomy,
  secondsUntil,
  sessionIdOf,
  watchAttempts,
  type Backend,
  type Subject,
} from '../../limits-common/src/index.ts';
import { createConcurrencyLimiter, type ConcurrencyCheck } from './limiter.ts';

const options = Type.Object(
  {
    sessionIdleSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400, description: 'How long a session still counts as active after its last request ended. Default: SESSION_TTL (300).' }),
    ),
    leaseSeconds: Type.Integer({
      minimum: 60,
      maximum: 86_400,
      default: 1800,
      description: 'Longest a request counts as in flight if it is never released (its instance crashed). Keep it above your longest stream.',
    }),
  },
  { additionalProperties: false },
);

/** How long a provider's counts, read for the balancer, are reused. */
const PROVIDER_READ_MS = 100;

/** Retry-After for a full in-flight cap: requests usually finish within seconds. */
const REQUEST_RETRY_SECONDS = 1;

interface ConcurrencyState {
  subjects: Subject[];
  sessionId: string;
  on: Backend;
  /**
   * Providers this exchange holds a slot on, where, and under which session id (the
   * balancer's `exchange.sessionId` once routing set it, so `isAvailable` sees the same id).
   */
  providers: Map<number, { on: Backend; sessionId: string }>;
  /** Provider acquires still on their way (settle waits for them before releasing). */
  pending: Promise<unknown>[];
  released?: boolean;
}

/**
 * Concurrent sessions and requests in flight per key, per user (its group's limits unless it
 * sets its own) and per provider. A session over the limit is refused with 429; a session that
 * is already active keeps working.
 */
export default definePlugin({
  name: 'limit-concurrency',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'limit',
  description: 'Concurrent sessions and in-flight requests per key, user (group default) and provider; 429 for a new session over the limit.',
  options,
  setup(ctx) {
    const sessionIdleMs = (ctx.options.sessionIdleSeconds ?? ctx.env.sessionTtlSeconds) * 1000;
    const store = createFailoverStore({ shared: ctx.store, logger: ctx.logger });
    ctx.onClose(() => store.close());
    const limiter = createConcurrencyLimiter(store, { sessionIdleMs, leaseMs: ctx.options.leaseSeconds * 1000 });
    const providerReads = createReadCache<{ requests: number; sessions: number; sessionActive: boolean }>(PROVIDER_READ_MS);
    const stateOf = (ex: Exchange) => ex.state[ctx.name] as ConcurrencyState | undefined;

    joinLimitServices(
      ctx,
      {
        plugin: ctx.name,
        async usage(subject) {
          const lim = { concurrentRequests: subject.limits.concurrentRequests ?? null, concurrentSessions: subject.limits.concurrentSessions ?? null };
          if (!subject.counted) {
            return { concurrentRequests: { used: null, limit: lim.concurrentRequests, resetAt: null }, concurrentSessions: { used: null, limit: lim.concurrentSessions, resetAt: null } };
          }
          const r = await limiter.peek(subject, '', Date.now());
          return { concurrentRequests: { used: r.requests, limit: lim.concurrentRequests, resetAt: null }, concurrentSessions: { used: r.sessions, limit: lim.concurrentSessions, resetAt: null } };
        },
        status() {
          const s = store.status();
          return { plugin: ctx.name, degraded: s.degraded, since: s.since?.toISOString() ?? null, lastError: s.lastError ?? null };
        },
      },
      async (provider, { sessionId }) => {
        const { concurrentRequests: maxReq, concurrentSessions: maxSess } = provider.limits;
        if (maxReq == null && maxSess == null) return true;
        // Counts up to 100 ms old are reused while the provider is well below its limits.
        const r = await providerReads.get(
          provider.id,
          () => limiter.peek(providerSubject(provider), '', Date.now()),
          (v) => roomy(v.requests, maxReq) && roomy(v.sessions, maxSess),
        );
        if (maxReq != null && r.requests >= maxReq) return false;
        if (maxSess == null || r.sessions < maxSess) return true;
        // At its session limit a provider still takes the sessions already active on it.
        return (await limiter.peek(providerSubject(provider), sessionId ?? '', Date.now())).sessionActive;
      },
    );

    ctx.use('limit', (c, next) => {
      const ex = c.exchange;
      if (!ex.identity || ex.endpoint.operation !== 'generate') return next();
      const sessionId = sessionIdOf(ex);
      const state: ConcurrencyState = { subjects: [], sessionId, on: 'shared', providers: new Map(), pending: [] };
      ex.state[ctx.name] = state;
      const checks: ConcurrencyCheck[] = identitySubjects(ex.identity)
        .filter((s) => s.limits.concurrentRequests !== undefined || s.limits.concurrentSessions !== undefined)
        .map((subject) => ({ subject, requests: subject.limits.concurrentRequests, sessions: subject.limits.concurrentSessions }));
      if (checks.length === 0) return next();
      const now = Date.now();
      // Checked alongside the other limits (one store round trip); the proxy waits for the verdict.
      const admission = limiter.acquire(checks, ex.id, sessionId, now).then((r) => {
        if (!r.ok) {
          const dim = r.kind === 'requests' ? 'concurrentRequests' : 'concurrentSessions';
          const limit = r.kind === 'requests' ? r.check.requests! : r.check.sessions!;
          // A full session slot frees when the longest-idle session times out (at most the idle window).
          const retry = r.kind === 'requests' ? REQUEST_RETRY_SECONDS : Math.min(sessionIdleMs / 1000, r.earliestExpiryMs === undefined ? 1 : secondsUntil(r.earliestExpiryMs, now));
          throw rejectionError({
            status: 429,
            type: r.kind === 'requests' ? 'concurrent_requests' : 'concurrent_sessions',
            limit: String(limit),
            remaining: '0',
            resetAtMs: now + retry * 1000,
            retryAfterSeconds: retry,
            message:
              r.kind === 'requests'
                ? `Concurrency limit exceeded: ${describeLimit(r.check.subject, dim)} of ${limit} requests in flight reached; retry when one finishes.`
                : `Concurrent session limit exceeded: ${describeLimit(r.check.subject, dim)} of ${limit} active sessions reached; this new session can start when one has been idle for ${Math.round(sessionIdleMs / 1000)} s (in about ${retry} s at the earliest).`,
          });
        }
        state.subjects = checks.map((ch) => ch.subject);
        state.on = r.on;
      });
      // Settle releases only after the acquire is done (whatever its verdict).
      state.pending.push(admission.catch(() => undefined));
      c.admit(admission);
      return next();
    });

    // Providers hold a slot from the moment the proxy picks them until the exchange settles.
    const holdProvider = (ex: Exchange, provider: ProviderRecord) => {
      const st = stateOf(ex);
      const { concurrentRequests: maxReq, concurrentSessions: maxSess } = provider.limits;
      if (!st || st.released || st.providers.has(provider.id) || (maxReq == null && maxSess == null)) return;
      const sessionId = ex.sessionId ?? st.sessionId;
      st.providers.set(provider.id, { on: 'shared', sessionId });
      const acquired = limiter
        .acquire([{ subject: providerSubject(provider), requests: undefined, sessions: undefined }], ex.id, sessionId, Date.now())
        .then((r) => st.providers.set(provider.id, { on: r.on, sessionId }))
        .catch((err: unknown) => {
          st.providers.delete(provider.id);
          ctx.logger.debug({ err, provider: provider.name }, 'provider concurrency not recorded');
        });
      st.pending.push(acquired);
    };
    watchAttempts(ctx, holdProvider);

    ctx.onSettle(async (ex) => {
      const st = stateOf(ex);
      if (!st || st.released) return;
      st.released = true;
      await Promise.all(st.pending);
      const now = Date.now();
      const releases: Promise<void>[] = [];
      if (st.subjects.length) releases.push(limiter.release(st.subjects, ex.id, st.sessionId, now, st.on));
      for (const [id, held] of st.providers) {
        const p = ctx.providers.get(id);
        if (p) releases.push(limiter.release([providerSubject(p)], ex.id, held.sessionId, now, held.on));
      }
      for (const r of await Promise.allSettled(releases)) {
        // A release that cannot reach the store is covered by the lease expiry.
        if (r.status === 'rejected') ctx.logger.debug({ err: r.reason, requestId: ex.id }, 'concurrency release failed; the lease will expire it');
      }
    });
  },
});

export { createConcurrencyLimiter, type ConcurrencyLimiter, type ConcurrencyCheck, type ConcurrencyOptions } from './limiter.ts';
export { sessionIdOf } from '../../limits-common/src/index.ts';
