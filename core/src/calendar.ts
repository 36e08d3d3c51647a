/**
 * Calendar windows in a time zone: a day, a week (Monday start) or a month, each starting at a
 * configurable local reset time. Pure functions of an instant, so every instance (and every
 * test) computes the same window for the same `now`.
 */

export type CalendarKind = 'daily' | 'weekly' | 'monthly';

/** A window `[start, end)` in epoch ms. */
export interface Span {
  start: number;
  end: number;
}

/** A calendar window with a stable label of its local start: `2026-11-26`, `W2026-11-23`, `2026-11`. */
export interface LabelledSpan extends Span {
  label: string;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

interface Wall {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

/** The local wall-clock reading of an instant in `tz`. */
function wallClock(t: number, tz: string): Wall {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(t))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, m: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! };
}

/** How far `tz` is ahead of UTC at instant `t`, in ms. */
function offsetAt(t: number, tz: string): number {
  const w = wallClock(t, tz);
  const floored = Math.floor(t / 1000) * 1000;
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi, w.s) - floored;
}

/**
 * The instant a local wall-clock time occurs in `tz`. A time skipped by a DST jump resolves
 * to the instant one jump later (02:30 → 03:30); a time that occurs twice to one of them.
 */
export function zonedTime(y: number, m: number, d: number, minutes: number, tz: string): number {
  const asUtc = Date.UTC(y, m - 1, d, 0, minutes);
  const first = asUtc - offsetAt(asUtc, tz);
  const second = asUtc - offsetAt(first, tz);
  if (first === second) return first;
  // Offsets disagree around a transition: take a candidate that really shows this wall time.
  const [a, b] = first < second ? [first, second] : [second, first];
  return asUtc - offsetAt(a, tz) === a ? a : b;
}

/** Throws a clear error for a time zone the runtime does not know. */
export function assertTimeZone(tz: string): void {
  try {
    formatter(tz);
  } catch {
    throw new Error(`unknown time zone "${tz}" (use an IANA name such as "UTC" or "Europe/Berlin")`);
  }
}

/** `"HH:MM"` to minutes after midnight. */
export function parseResetTime(hhmm: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!m) throw new Error(`reset time "${hhmm}" is not HH:MM`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Add days to a calendar date (normalising month/year overflow). */
function addDays(y: number, m: number, d: number, days: number): { y: number; m: number; d: number; weekday: number } {
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), weekday: t.getUTCDay() };
}

/**
 * The window of kind `kind` containing `now`, in `tz`, with days starting at `resetMinutes`
 * local time. Before the reset time a local day still belongs to the previous window.
 */
export function calendarWindow(kind: CalendarKind, now: number, tz: string, resetMinutes = 0): LabelledSpan {
  const w = wallClock(now, tz);
  const beforeReset = w.h * 60 + w.mi < resetMinutes;
  const day = addDays(w.y, w.m, w.d, beforeReset ? -1 : 0);
  if (kind === 'daily') {
    const next = addDays(day.y, day.m, day.d, 1);
    return { start: zonedTime(day.y, day.m, day.d, resetMinutes, tz), end: zonedTime(next.y, next.m, next.d, resetMinutes, tz), label: ymd(day) };
  }
  if (kind === 'weekly') {
    const monday = addDays(day.y, day.m, day.d, -((day.weekday + 6) % 7));
    const next = addDays(monday.y, monday.m, monday.d, 7);
    return { start: zonedTime(monday.y, monday.m, monday.d, resetMinutes, tz), end: zonedTime(next.y, next.m, next.d, resetMinutes, tz), label: `W${ymd(monday)}` };
  }
  const nextMonth = day.m === 12 ? { y: day.y + 1, m: 1 } : { y: day.y, m: day.m + 1 };
  return { start: zonedTime(day.y, day.m, 1, resetMinutes, tz), end: zonedTime(nextMonth.y, nextMonth.m, 1, resetMinutes, tz), label: ymd(day).slice(0, 7) };
}

function ymd(d: { y: number; m: number; d: number }): string {
  return `${d.y}-${String(d.m).padStart(2, '0')}-${String(d.d).padStart(2, '0')}`;
}

/** Local midnight of a calendar date in `tz` (day overflow normalised: the 32nd is the next month's 1st). */
export function localMidnight(y: number, m: number, d: number, tz: string): number {
  const t = addDays(y, m, d, 0);
  return zonedTime(t.y, t.m, t.d, 0, tz);
}

const windowCache = new Map<string, Record<CalendarKind, LabelledSpan>>();

/**
 * All three calendar windows at once. Cached per zone and reset time until the day rolls over
 * (weeks and months only change at day boundaries): time-zone arithmetic through Intl is far too
 * slow to repeat on every request.
 */
export function calendarWindows(now: number, tz: string, resetMinutes = 0): Record<CalendarKind, LabelledSpan> {
  const key = `${tz}|${resetMinutes}`;
  const hit = windowCache.get(key);
  if (hit && now >= hit.daily.start && now < hit.daily.end) return hit;
  const w = {
    daily: calendarWindow('daily', now, tz, resetMinutes),
    weekly: calendarWindow('weekly', now, tz, resetMinutes),
    monthly: calendarWindow('monthly', now, tz, resetMinutes),
  };
  if (windowCache.size > 64) windowCache.clear();
  windowCache.set(key, w);
  return w;
}

export { DAY_MS };
