import { randomUUID } from 'node:crypto';
import type { AttemptRecord, Clock, Logger, Store } from '@cch/core';
import { acquireScript, forceOpenScript, recordScript, resetScript } from './scripts.ts';
import { createResilientStore } from './resilient-store.ts';
import { attemptOutcome } from './outcome.ts';
import type { AttemptOutcome, BreakerEvent, BreakerOptions, BreakerService, BreakerSnapshot, BreakerState, BreakerTransition, CircuitState } from './types.ts';

/** A state key lives this long after its last change, so stale failure counts fade away. */
const IDLE_MS = 24 * 3600_000;
/** A probe's slot is reclaimed after this long even if its outcome never arrives. */
const PROBE_LEASE_MS = 120_000;

export interface CreateBreakerInput {
  store: Store;
  options: BreakerOptions;
  logger: Logger;
  /** Time source; tests inject a manual clock (it is passed to the store scripts as `now`). */
  clock?: Clock;
  /** Providers to list in snapshots and name in events. */
  providers?: () => readonly { id: number; name: string }[];
}

/** The breaker plus what only its plugin needs. */
export interface Breaker extends BreakerService {
  /** Count an attempt with an outcome decided by the caller (deduplicated per attempt object). */
  countAttempt(attempt: AttemptRecord, outcome: AttemptOutcome, holder?: string): Promise<void>;
  /** Release every probe `holder` still holds (the exchange ended without reporting on them). */
  release(holder: string): Promise<void>;
  close(): Promise<void>;
}

const key = (providerId: number): string => `circuit:${providerId}`;
/** How long "closed, no failures" seen by this instance spares it the store write of a success. */
const CLEAN_REUSE_MS = 1000;

/** Create the breaker over a store (memory or Redis); state transitions are atomic store scripts. */
export function createBreaker(input: CreateBreakerInput): Breaker {
  const { options, logger } = input;
  const clock = input.clock ?? { now: () => Date.now() };
  const store = createResilientStore(input.store, clock, logger);
  const runRecord = store.defineScript(recordScript);
  const runAcquire = store.defineScript(acquireScript);
  const runForce = store.defineScript(forceOpenScript);
  const runReset = store.defineScript(resetScript);
  const listeners = new Map<BreakerEvent, Set<(t: BreakerTransition) => void>>();
  const counted = new WeakSet<AttemptRecord>();
  /** Probes this instance handed out, by holder, so a settled exchange can release leftovers. */
  const held = new Map<string, { providers: Set<number>; at: number }>();
  const openMs = options.openSeconds * 1000;

  const nameOf = (id: number): string | undefined => input.providers?.().find((p) => p.id === id)?.name;

  function emit(event: BreakerEvent, providerId: number, f: number, o: number, r: number): void {
    const t: BreakerTransition = { event, providerId, provider: nameOf(providerId), failures: f, at: clock.now() };
    if (event !== 'closed') Object.assign(t, { openedAt: o, retryAt: r });
    const log = { provider: t.provider ?? providerId, failures: f, retryAt: event === 'closed' ? undefined : new Date(r).toISOString() };
    if (event === 'opened') logger.warn(log, 'circuit opened');
    else logger.info(log, event === 'closed' ? 'circuit closed' : 'circuit half-open: letting probes through');
    for (const fn of listeners.get(event) ?? []) {
      try {
        fn(t);
      } catch (err) {
        logger.error({ err, event }, 'circuit-breaker listener threw');
      }
    }
  }

  /**
   * When this instance last saw each circuit closed with no failures counted. A success (or a
   * neutral outcome) without a probe to release changes nothing in such a circuit, so it is not
   * written: most requests then cost the breaker no store call. Another instance's failures are
   * seen on the next read of the state (the balancer reads it at least every 100 ms while routing).
   */
  const cleanSince = new Map<number, number>();
  const noteState = (providerId: number, s: string, failures: number) => {
    if (s === 'closed' && failures === 0) cleanSince.set(providerId, clock.now());
    else cleanSince.delete(providerId);
  };

  async function record(providerId: number, outcome: AttemptOutcome, holder = ''): Promise<void> {
    // Only a probe this instance handed out has something to release in the store.
    const probe = holder !== '' && held.get(holder)?.providers.has(providerId) === true;
    if (holder) forget(holder, providerId);
    if (outcome !== 'failure' && !probe) {
      const at = cleanSince.get(providerId);
      if (at !== undefined && clock.now() - at < CLEAN_REUSE_MS) return;
    }
    const reply = (await runRecord([key(providerId)], [clock.now(), outcome, holder, options.failureThreshold, openMs, options.halfOpenSuccesses, IDLE_MS])) as [string, number, number, number, string];
    const [s, f, o, r, transition] = reply;
    noteState(providerId, s, f);
    if (transition) emit(transition as BreakerEvent, providerId, f, o, r);
  }

  function forget(holder: string, providerId: number): void {
    const h = held.get(holder);
    if (!h) return;
    h.providers.delete(providerId);
    if (h.providers.size === 0) held.delete(holder);
  }

  function remember(holder: string, providerId: number): void {
    const now = clock.now();
    // Holders that never settle (callers other than exchanges) must not pile up.
    for (const [k, v] of held) if (now - v.at > PROBE_LEASE_MS) held.delete(k);
    const h = held.get(holder) ?? { providers: new Set<number>(), at: now };
    h.providers.add(providerId);
    held.set(holder, h);
  }

  async function countAttempt(attempt: AttemptRecord, outcome: AttemptOutcome, holder?: string): Promise<void> {
    if (counted.has(attempt)) return;
    counted.add(attempt);
    await record(attempt.providerId, outcome, holder);
  }

  async function state(providerId: number): Promise<BreakerState> {
    const h = await store.hgetall(key(providerId));
    const st = toState(h, clock.now());
    noteState(providerId, st.state, st.failures);
    return st;
  }

  const service: Breaker = {
    state,
    async allow(providerId, holder = randomUUID()) {
      const [allowed, s, f, o, r, transition] = (await runAcquire([key(providerId)], [clock.now(), holder, options.halfOpenMaxProbes, PROBE_LEASE_MS, IDLE_MS])) as [number, CircuitState, number, number, number, string];
      noteState(providerId, s, f);
      if (transition) emit(transition as BreakerEvent, providerId, f, o, r);
      if (allowed === 1 && s === 'half_open') remember(holder, providerId);
      return allowed === 1;
    },
    record,
    recordAttempt: (attempt, holder) => countAttempt(attempt, attemptOutcome(attempt), holder),
    countAttempt,
    async release(holder) {
      const h = held.get(holder);
      if (!h) return;
      await Promise.all([...h.providers].map((id) => record(id, 'neutral', holder)));
    },
    async reset(providerId) {
      const [prev, f, o, r] = (await runReset([key(providerId)], [clock.now()])) as [CircuitState, number, number, number];
      noteState(providerId, 'closed', 0);
      if (prev !== 'closed') emit('closed', providerId, f, o, r);
    },
    async forceOpen(providerId, seconds) {
      const ms = seconds === undefined ? openMs : Math.max(1, seconds) * 1000;
      cleanSince.delete(providerId);
      const [prev, f, o, r] = (await runForce([key(providerId)], [clock.now(), ms, IDLE_MS])) as [CircuitState, number, number, number];
      if (prev !== 'open') emit('opened', providerId, f, o, r);
    },
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
    async snapshot(): Promise<BreakerSnapshot> {
      const list = input.providers?.() ?? [];
      const providers = await Promise.all(list.map(async (p) => ({ providerId: p.id, provider: p.name, ...(await state(p.id)) })));
      const since = store.degradedSince();
      return { storage: store.mode(), ...(since === undefined ? {} : { storageDegradedSince: since }), options: { ...options }, providers };
    },
    close: () => store.close(),
  };
  return service;
}

/** Read a state hash as of `now`: an open circuit past its retry time is half-open. */
export function toState(h: Record<string, string>, now: number): BreakerState {
  const raw = (h.s ?? 'closed') as CircuitState;
  const failures = Number(h.f ?? 0);
  if (raw === 'closed') return { state: 'closed', failures };
  const openedAt = Number(h.o ?? 0);
  const retryAt = Number(h.r ?? 0);
  const probes = Object.entries(h).filter(([k, v]) => k.startsWith('p:') && Number(v) > now).length;
  const state: CircuitState = raw === 'open' && now < retryAt ? 'open' : 'half_open';
  return state === 'open' ? { state, failures, openedAt, retryAt } : { state, failures, openedAt, retryAt, probes };
}
