/**
 * The USD windows a limit can name, as concrete spans: calendar windows from the core's calendar
 * (local midnight in the configured time zone, weeks on Monday); `usd5h` is rolling; `usdTotal`
 * never ends.
 */
import { calendarWindows } from '@cch/core';

export { assertTimeZone, localMidnight } from '@cch/core';

export const USD_WINDOWS = ['usd5h', 'usdDaily', 'usdWeekly', 'usdMonthly', 'usdTotal'] as const;
export type UsdWindow = (typeof USD_WINDOWS)[number];

export interface WindowSpan {
  /** Stable name of this window instance (part of the store keys): `2026-11-26`, `W2026-11-23`, `2026-11`, `5h`, `all`. */
  id: string;
  /** Epoch ms; for `usd5h`, now − 5 h. */
  start: number;
  /** Epoch ms, exclusive; undefined for rolling and total windows. */
  end: number | undefined;
}

export const FIVE_HOURS_MS = 5 * 3_600_000;

const KIND = { usdDaily: 'daily', usdWeekly: 'weekly', usdMonthly: 'monthly' } as const;

/** The span of window `w` that contains `now`. */
export function windowSpan(w: UsdWindow, now: number, tz: string): WindowSpan {
  if (w === 'usd5h') return { id: '5h', start: now - FIVE_HOURS_MS, end: undefined };
  if (w === 'usdTotal') return { id: 'all', start: 0, end: undefined };
  const span = calendarWindows(now, tz)[KIND[w]];
  return { id: span.label, start: span.start, end: span.end };
}
