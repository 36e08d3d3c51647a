import { counterKey, createTtlRefresher, subjectKeys, toMicros, type Backend, type FailoverStore, type Subject } from '../../limits-common/src/index.ts';
import { DIMENSIONS, KEYS_PER_SUBJECT, READ, RESERVE, SETTLE } from './scripts.ts';
import { calendarWindows, type CalendarKind, type Span } from '@cch/core';

export const FIVE_HOURS_MS = 5 * 3_600_000;
/** This instance refreshes a subject's key TTLs at most this often (they last half an hour or more). */
const TTL_REFRESH_MS = 20_000;

export type UsdDimension = 'usd5h' | 'usdDaily' | 'usdWeekly' | 'usdMonthly' | 'usdTotal';
/** In script order (dimension 1 … 5). */
export const USD_DIMENSIONS: readonly UsdDimension[] = ['usd5h', 'usdDaily', 'usdWeekly', 'usdMonthly', 'usdTotal'];
const CALENDAR: Partial<Record<UsdDimension, CalendarKind>> = { usdDaily: 'daily', usdWeekly: 'weekly', usdMonthly: 'monthly' };

export interface LedgerOptions {
  /** IANA zone of the calendar windows. */
  timezone: string;
  /** Local minutes after midnight at which days (and weeks, months) begin. */
  resetMinutes: number;
  /** How long a reservation holds budget if its request never settles (instance crash). */
  reservationTtlMs: number;
}

/** A budget that refused a request. */
export interface Violation {
  subject: Subject;
  dimension: UsdDimension;
  limitMicros: number;
  settledMicros: number;
  /** Held by other requests still in flight. */
  reservedMicros: number;
  /**
   * When the budget frees up: the window's end (calendar), when enough spend leaves (5 h), or
   * undefined when it never does by itself (total, or reservations alone exceed the limit).
   */
  resetAtMs: number | undefined;
  /** True when settled spend alone is under the limit: in-flight reservations are what block. */
  heldOnly: boolean;
}

export type ReserveResult = { ok: true; on: Backend } | { ok: false; on: Backend; violations: Violation[] };

/** A subject's ledger, in micro-dollars. */
export interface LedgerReading {
  reserved: number;
  settled: Record<UsdDimension, number>;
  /** When the oldest spend leaves the 5 h window. */
  fiveHourFreeAtMs: number | undefined;
  windows: Record<CalendarKind, Span>;
}

export interface SettleTarget {
  subject: Subject;
  /** Keep the exact 5 h spend log (needed when a 5 h limit may apply). */
  track5h: boolean;
}

export interface Ledger {
  /** Hold `amountMicros` in every subject if all their budgets have room (used < limit). */
  reserve(subjects: Subject[], id: string, amountMicros: number, now: number): Promise<ReserveResult>;
  /**
   * Release the reservation `id` and book `costMicros` into the windows that contained
   * `windowsAt` (the reservation time), and into the 5 h log at `now`.
   */
  settle(targets: SettleTarget[], id: string, costMicros: number, windowsAt: number, now: number, opts?: { on?: Backend }): Promise<Backend>;
  read(subject: Subject, now: number): Promise<LedgerReading>;
}

/** The USD ledger over the failover store. */
export function createLedger(store: FailoverStore, opts: LedgerOptions): Ledger {
  const reserve = store.define<number[]>(RESERVE);
  const settle = store.define<number>(SETTLE);
  const read = store.define<number[]>(READ);
  const windowsAt = (t: number) => calendarWindows(t, opts.timezone, opts.resetMinutes);
  const refresher = createTtlRefresher(TTL_REFRESH_MS);
  const starts = (w: Record<CalendarKind, Span>) => [w.daily.start, w.weekly.start, w.monthly.start];

  const keysOf = subjectKeys((s: Subject): string[] => {
    const base = counterKey(s, 'usd2');
    return [`${base}:res`, `${base}:5h`, `${base}:sums`];
  });

  function sameSlot(subjects: Subject[]): void {
    const tag = subjects[0]?.tag;
    for (const s of subjects) if (s.tag !== tag) throw new Error(`one ledger call must stay in one hash slot, got ${tag} and ${s.tag}`);
  }

  function limitMicros(s: Subject, d: UsdDimension): number {
    const v = s.limits[d];
    return v === undefined ? -1 : toMicros(v) || 0;
  }

  return {
    async reserve(subjects, id, amountMicros, now) {
      sameSlot(subjects);
      const w = windowsAt(now);
      const keys = subjects.flatMap(keysOf);
      const limits = subjects.flatMap((s) => USD_DIMENSIONS.map((d) => limitMicros(s, d)));
      const args = [
        now,
        id,
        Math.max(0, Math.round(amountMicros)),
        now + opts.reservationTtlMs,
        FIVE_HOURS_MS,
        opts.reservationTtlMs + 60_000,
        refresher.due(keys[0]!, now),
        ...starts(w),
        ...limits,
      ];
      const { value: r, on } = await reserve(keys, args);
      if (r[0] === 1) return { ok: true, on };
      const violations: Violation[] = [];
      for (let i = 1; i + 4 < r.length; i += 5) {
        const subject = subjects[r[i]! - 1]!;
        const dimension = USD_DIMENSIONS[r[i + 1]! - 1]!;
        const [settledMicros, reservedMicros, freeAt] = [r[i + 2]!, r[i + 3]!, r[i + 4]!];
        const limit = limitMicros(subject, dimension);
        const cal = CALENDAR[dimension];
        const heldOnly = settledMicros < limit;
        let resetAtMs: number | undefined;
        if (cal) resetAtMs = w[cal].end;
        else if (dimension === 'usd5h') resetAtMs = freeAt > 0 ? freeAt : undefined;
        violations.push({ subject, dimension, limitMicros: limit, settledMicros, reservedMicros, resetAtMs, heldOnly });
      }
      return { ok: false, on, violations };
    },

    async settle(targets, id, costMicros, at, now, o = {}) {
      sameSlot(targets.map((t) => t.subject));
      const w = windowsAt(at);
      const keys = targets.flatMap((t) => keysOf(t.subject));
      const args = [now, id, Math.max(0, Math.round(costMicros)), FIVE_HOURS_MS, refresher.due(keys[1]!, now), ...starts(w), ...targets.map((t) => (t.track5h ? 1 : 0))];
      const { on } = await settle(keys, args, { on: o.on, replay: true });
      return on;
    },

    async read(subject, now) {
      const w = windowsAt(now);
      const { value: r } = await read(keysOf(subject), [now, FIVE_HOURS_MS, ...starts(w)]);
      const settled = Object.fromEntries(USD_DIMENSIONS.map((d, i) => [d, r[1 + i]!])) as Record<UsdDimension, number>;
      return { reserved: r[0]!, settled, fiveHourFreeAtMs: r[6]! >= 0 ? r[6]! + FIVE_HOURS_MS : undefined, windows: w };
    },
  };
}

export { DIMENSIONS, KEYS_PER_SUBJECT };
