/**
 * The USD windows a limit can name, as concrete spans: calendar windows start at local midnight
 * in the configured time zone (weeks on Monday); `usd5h` is rolling; `usdTotal` never ends.
 */

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

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

function wall(t: number, tz: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! };
}

function offsetAt(t: number, tz: string): number {
  const w = wall(t, tz);
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of local midnight starting day y-m-d in `tz` (day overflow allowed: d = 32 is next month). */
export function localMidnight(y: number, m: number, d: number, tz: string): number {
  const asUtc = Date.UTC(y, m - 1, d);
  const first = asUtc - offsetAt(asUtc, tz);
  const second = asUtc - offsetAt(first, tz);
  if (first === second) return first;
  // Around a DST change the two guesses differ: take the one that really shows midnight.
  const [a, b] = first < second ? [first, second] : [second, first];
  return asUtc - offsetAt(a, tz) === a ? a : b;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Throws for a time zone the runtime does not know. */
export function assertTimeZone(tz: string): void {
  try {
    formatter(tz);
  } catch {
    throw new Error(`unknown time zone "${tz}" (use an IANA name such as "UTC" or "Europe/Berlin")`);
  }
}

/** The span of window `w` that contains `now`. */
export function windowSpan(w: UsdWindow, now: number, tz: string): WindowSpan {
  if (w === 'usd5h') return { id: '5h', start: now - FIVE_HOURS_MS, end: undefined };
  if (w === 'usdTotal') return { id: 'all', start: 0, end: undefined };
  const { y, m, d } = wall(now, tz);
  if (w === 'usdDaily') return { id: `${y}-${pad(m)}-${pad(d)}`, start: localMidnight(y, m, d, tz), end: localMidnight(y, m, d + 1, tz) };
  if (w === 'usdWeekly') {
    const weekday = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
    const monday = new Date(Date.UTC(y, m - 1, d - ((weekday + 6) % 7)));
    const [my, mm, md] = [monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate()];
    return { id: `W${my}-${pad(mm)}-${pad(md)}`, start: localMidnight(my, mm, md, tz), end: localMidnight(my, mm, md + 7, tz) };
  }
  return { id: `${y}-${pad(m)}`, start: localMidnight(y, m, 1, tz), end: localMidnight(y, m + 1, 1, tz) };
}
