import type { GatewayError } from '@cch/core';
import { describeLimit, formatUsd, rejectionError, resetPhrase, secondsUntil, type RateLimitType } from '../../limits-common/src/index.ts';
import type { UsdDimension, Violation } from './ledger.ts';

const TYPES: Record<UsdDimension, RateLimitType> = {
  usd5h: 'usd_5h',
  usdDaily: 'usd_daily',
  usdWeekly: 'usd_weekly',
  usdMonthly: 'usd_monthly',
  usdTotal: 'usd_total',
};

const PER: Record<UsdDimension, string> = {
  usd5h: 'per rolling 5 hours',
  usdDaily: 'per day',
  usdWeekly: 'per week',
  usdMonthly: 'per month',
  usdTotal: 'in total',
};

/** A budget that never resets by itself still needs a Retry-After: a day keeps clients from hammering. */
const NEVER_RETRY_SECONDS = 86_400;
/** Blocked only by requests in flight: their settlement may free budget soon. */
const HELD_RETRY_SECONDS = 5;

/**
 * The violation to report: one whose settled spend is over (waiting for in-flight requests
 * will not help) with the latest reset; else one held by in-flight reservations.
 */
export function mostBinding(violations: Violation[]): Violation {
  const rank = (v: Violation) => (v.heldOnly ? -1 : (v.resetAtMs ?? Infinity));
  return violations.reduce((a, b) => (rank(b) > rank(a) ? b : a));
}

/** The 402 a refused request gets, headers included. */
export function budgetRejection(violations: Violation[], now: number): GatewayError {
  const v = mostBinding(violations);
  const who = describeLimit(v.subject, v.dimension);
  const limit = formatUsd(v.limitMicros);
  const remaining = formatUsd(Math.max(0, v.limitMicros - v.settledMicros - v.reservedMicros));
  let retryAfterSeconds: number;
  let resetAtMs: number;
  let when: string;
  if (v.heldOnly) {
    retryAfterSeconds = Math.min(HELD_RETRY_SECONDS, v.resetAtMs === undefined ? HELD_RETRY_SECONDS : secondsUntil(v.resetAtMs, now));
    resetAtMs = now + retryAfterSeconds * 1000;
    when = `$${formatUsd(v.reservedMicros)} is held by requests still in flight; retry when they finish`;
  } else if (v.resetAtMs === undefined) {
    retryAfterSeconds = NEVER_RETRY_SECONDS;
    resetAtMs = now + NEVER_RETRY_SECONDS * 1000;
    when = v.dimension === 'usdTotal' ? 'this budget does not reset; ask an administrator to raise it' : 'in-flight requests hold the rest';
  } else {
    retryAfterSeconds = secondsUntil(v.resetAtMs, now);
    resetAtMs = v.resetAtMs;
    when = resetPhrase(v.resetAtMs, now);
  }
  const spent = `$${formatUsd(v.settledMicros)} spent${v.reservedMicros > 0 && !v.heldOnly ? `, $${formatUsd(v.reservedMicros)} in flight` : ''}`;
  return rejectionError({
    status: 402,
    type: TYPES[v.dimension],
    limit,
    remaining,
    resetAtMs,
    retryAfterSeconds,
    message: `USD budget exhausted: ${who} of $${limit} ${PER[v.dimension]} reached (${spent}); ${when}.`,
  });
}
