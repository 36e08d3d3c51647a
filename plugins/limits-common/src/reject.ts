import { GatewayError } from '@cch/core';

/** `X-RateLimit-Type` values (SPEC §4). */
export type RateLimitType =
  | 'rpm'
  | 'concurrent_sessions'
  | 'concurrent_requests'
  | 'usd_5h'
  | 'usd_daily'
  | 'usd_weekly'
  | 'usd_monthly'
  | 'usd_total';

/** Everything a limit rejection tells the client. */
export interface Rejection {
  /** 429 for request-rate and concurrency limits, 402 for USD budgets. */
  status: 429 | 402;
  type: RateLimitType;
  /** Header text of the limit and what is left (`"50"`, `"1.00"`). */
  limit: string;
  remaining: string;
  /** When capacity comes back, epoch ms. */
  resetAtMs: number;
  /** Seconds the client should wait; at least 1. */
  retryAfterSeconds: number;
  message: string;
}

/** The rate-limit headers: `X-RateLimit-Reset` is epoch seconds (GitHub style). */
export function rateLimitHeaders(limit: string, remaining: string, resetAtMs: number): Record<string, string> {
  return {
    'X-RateLimit-Limit': limit,
    'X-RateLimit-Remaining': remaining,
    'X-RateLimit-Reset': String(Math.ceil(resetAtMs / 1000)),
  };
}

/** A rejection as the error the core renders in the client's wire format. */
export function rejectionError(r: Rejection): GatewayError {
  const headers = {
    'Retry-After': String(Math.max(1, Math.ceil(r.retryAfterSeconds))),
    ...rateLimitHeaders(r.limit, r.remaining, r.resetAtMs),
    'X-RateLimit-Type': r.type,
  };
  return new GatewayError(r.status, r.status === 402 ? 'quota_exceeded' : 'rate_limit', r.message, headers);
}

/** Whole seconds from `now` to `atMs`, at least 1. */
export function secondsUntil(atMs: number, now: number): number {
  return Math.max(1, Math.ceil((atMs - now) / 1000));
}

/** `42 s`, `3 min`, `2 h 5 min`, `3 d 4 h`: for messages. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** "resets in 12 s (2025-01-01T00:00:00Z)". */
export function resetPhrase(resetAtMs: number, now: number): string {
  return `resets in ${formatDuration((resetAtMs - now) / 1000)} (${new Date(Math.ceil(resetAtMs / 1000) * 1000).toISOString().replace('.000Z', 'Z')})`;
}

const MICROS = 1_000_000;

/**
 * USD (a number or a decimal string) to integer micro-dollars, so sums never drift. One
 * rounding per amount; totals are then exact integer arithmetic.
 */
export function toMicros(usd: number | string): number {
  const n = typeof usd === 'string' ? Number(usd) : usd;
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.round(n * MICROS);
}

/** Micro-dollars as a USD decimal: at least two decimals, at most six (`1.00`, `0.123457`). */
export function formatUsd(micros: number): string {
  const neg = micros < 0;
  const abs = Math.abs(Math.round(micros));
  const whole = Math.floor(abs / MICROS);
  let frac = String(abs % MICROS).padStart(6, '0').replace(/0+$/, '');
  if (frac.length < 2) frac = frac.padEnd(2, '0');
  return `${neg ? '-' : ''}${whole}.${frac}`;
}

/** Micro-dollars as a number of USD (for read-outs). */
export const microsToUsd = (micros: number): number => micros / MICROS;
