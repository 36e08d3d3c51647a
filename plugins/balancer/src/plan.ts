import type { AttemptRecord, Exchange, RoutePlan } from '@cch/core';
import type { RouteCandidate } from './candidates.ts';
import { pick, type Rng } from './picker.ts';

export interface PlanInput {
  ex: Exchange;
  /** The first candidate, already chosen (and holding a probe slot if its circuit is half-open). */
  first: RouteCandidate;
  /** Failover pool: available candidates other than the first, closed circuits only. */
  rest: readonly RouteCandidate[];
  maxAttempts: number;
  rng: Rng;
  /** An attempt failed and the proxy fails over: count it and honour its Retry-After now. */
  onFailed(attempt: AttemptRecord): void;
  /** An attempt answered (first byte); told the attempt, which may carry a passed-through error. */
  onAnswered(attempt: AttemptRecord): void;
}

/**
 * The route plan the proxy walks: the first candidate, then — after each retryable failure before
 * the first byte — a fresh pick among the candidates not yet tried, by the same tiers and weights.
 * Every step lands in `exchange.decision`.
 */
export function createPlan(input: PlanInput): RoutePlan {
  const { ex, first, rest, rng } = input;
  const tried = new Set<number>();
  let attempts = 0;
  return {
    maxAttempts: input.maxAttempts,
    first,
    next(failed) {
      if (failed) {
        ex.decision.push(attemptStep(attempts, failed, 'failed_over'));
        input.onFailed(failed);
      }
      if (attempts === 0) {
        attempts = 1;
        tried.add(first.provider.id);
        return first;
      }
      const p = pick(
        rest.filter((c) => !tried.has(c.provider.id)),
        rng,
      );
      if (!p) return undefined;
      attempts++;
      tried.add(p.chosen.provider.id);
      ex.decision.push({ by: 'balancer', step: 'pick', attempt: attempts, provider: p.chosen.provider.name, providerId: p.chosen.provider.id, how: 'failover', probabilities: p.probabilities });
      return p.chosen;
    },
    succeeded(attempt) {
      ex.decision.push(attemptStep(attempts, attempt, attempt.errorClass ? 'error_returned' : 'answered'));
      input.onAnswered(attempt);
    },
  };
}

function attemptStep(n: number, a: AttemptRecord, outcome: 'failed_over' | 'answered' | 'error_returned'): Record<string, unknown> {
  const step: Record<string, unknown> = { by: 'balancer', step: 'attempt', attempt: n, provider: a.provider, providerId: a.providerId, outcome, status: a.status ?? null, latencyMs: a.latencyMs };
  if (a.errorClass) step.errorClass = a.errorClass;
  if (a.error) step.error = a.error.slice(0, 200);
  if (a.retryAfterSeconds !== undefined) step.retryAfterSeconds = a.retryAfterSeconds;
  return step;
}
