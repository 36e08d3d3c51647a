import type { AttemptRecord } from '@cch/core';

export type CircuitState = 'closed' | 'open' | 'half_open';

/** A provider's circuit as seen now (an open circuit past its retry time reads as half-open). */
export interface BreakerState {
  state: CircuitState;
  /** Consecutive provider failures (reset by a success while closed). */
  failures: number;
  /** When the circuit last opened (epoch ms). */
  openedAt?: number;
  /** When an open circuit lets probes through (epoch ms). */
  retryAt?: number;
  /** Probes in flight (half-open only). */
  probes?: number;
}

export type BreakerEvent = 'opened' | 'half_open' | 'closed';

/** What a listener of {@link BreakerService.on} receives. */
export interface BreakerTransition {
  event: BreakerEvent;
  providerId: number;
  /** Provider name, when the provider is known to this instance. */
  provider: string | undefined;
  failures: number;
  openedAt?: number;
  retryAt?: number;
  /** When the transition happened (epoch ms). */
  at: number;
}

/** How one attempt counts: `neutral` (client errors, client aborts) only releases a probe. */
export type AttemptOutcome = 'success' | 'failure' | 'neutral';

export interface BreakerOptions {
  failureThreshold: number;
  openSeconds: number;
  halfOpenSuccesses: number;
  halfOpenMaxProbes: number;
}

/** Everything the console shows. */
export interface BreakerSnapshot {
  /** `local` while the shared store is unreachable and each instance keeps its own state. */
  storage: 'shared' | 'local';
  /** When the storage outage began (epoch ms). */
  storageDegradedSince?: number;
  options: BreakerOptions;
  providers: (BreakerState & { providerId: number; provider: string })[];
}

/**
 * The `breaker` service: per-provider circuit state shared by all instances. Transitions happen
 * atomically in the store; each is reported (event and log) once, by the instance that made it.
 */
export interface BreakerService {
  state(providerId: number): Promise<BreakerState>;
  /**
   * True when closed, or half-open and a probe slot was acquired for `holder` (default: a fresh
   * id). Pass the exchange id as holder: the slot is released when that exchange's outcome for
   * this provider is recorded, or at the latest when the exchange settles.
   */
  allow(providerId: number, holder?: string): Promise<boolean>;
  /** Count an outcome now (not deduplicated; prefer {@link recordAttempt}). */
  record(providerId: number, outcome: AttemptOutcome, holder?: string): Promise<void>;
  /**
   * Count one upstream attempt, at most once per attempt object however often it is reported:
   * a route plan may report a failure at once, and the breaker's settle hook skips it later.
   */
  recordAttempt(attempt: AttemptRecord, holder?: string): Promise<void>;
  /** Close the circuit and forget its failures. */
  reset(providerId: number): Promise<void>;
  /** Open the circuit now for `seconds` (default: the `openSeconds` option). */
  forceOpen(providerId: number, seconds?: number): Promise<void>;
  /** Listen to transitions; returns a function that stops listening. */
  on(event: BreakerEvent, listener: (t: BreakerTransition) => void): () => void;
  snapshot(): Promise<BreakerSnapshot>;
}
