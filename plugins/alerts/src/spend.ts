import type { Clock, Limits, LocalDb, Store } from '@cch/core';
import { FIVE_HOURS_MS, USD_WINDOWS, windowSpan, type UsdWindow } from './windows.ts';

export type SubjectLevel = 'user' | 'key' | 'provider';

/** Someone whose spend is watched, with the limits that apply to them. */
export interface Subject {
  level: SubjectLevel;
  id: number;
  name: string;
  limits: Limits;
}

/** A subject's spend reached the alert share of one of its USD limits in this window. */
export interface Crossing {
  subject: Omit<Subject, 'limits'>;
  window: UsdWindow;
  windowId: string;
  windowStart: number;
  windowEnd: number | undefined;
  limitUsd: number;
  spentUsd: string;
  share: number;
}

/** Spend is counted in units of 1e-10 USD (the request log's precision). */
const SCALE = 10;
const BUCKET_MS = 5 * 60_000;
const BUCKETS_5H = FIVE_HOURS_MS / BUCKET_MS;
const GRACE_MS = 3_600_000;
/** All alert keys share one hash slot, so the script stays valid on Redis Cluster. */
const PREFIX = 'alerts:{alerts}';
const ARGS_PER_CHECK = 6;

/** A plain decimal string ("0.0001857") as an integer count of 1e-10 USD, rounding half up. */
export function usdUnits(usd: string | number): bigint {
  const text = typeof usd === 'number' ? usd.toFixed(SCALE) : usd.trim();
  const m = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m) return 0n;
  const frac = (m[2] ?? '').padEnd(SCALE + 1, '0');
  const units = BigInt((m[1] || '0') + frac.slice(0, SCALE));
  return Number(frac[SCALE]) >= 5 ? units + 1n : units;
}

export function formatUnits(units: bigint): string {
  const s = units.toString().padStart(SCALE + 1, '0');
  const frac = s.slice(-SCALE).replace(/0+$/, '');
  return frac ? `${s.slice(0, -SCALE)}.${frac}` : s.slice(0, -SCALE);
}

const LUA = `
local amount = ARGV[1]
local n = tonumber(ARGV[2])
local out = {}
for i = 1, n do
  local a = 2 + (i - 1) * ${ARGS_PER_CHECK}
  local kind = ARGV[a + 1]
  local threshold = tonumber(ARGV[a + 2])
  local cttl = tonumber(ARGV[a + 3])
  local dttl = tonumber(ARGV[a + 4])
  local ck = KEYS[2 * i - 1]
  local dk = KEYS[2 * i]
  local total = 0
  if kind == 'r' then
    local bucket = tonumber(ARGV[a + 5])
    local nb = tonumber(ARGV[a + 6])
    redis.call('HINCRBY', ck, ARGV[a + 5], amount)
    local h = redis.call('HGETALL', ck)
    for j = 1, #h, 2 do
      if tonumber(h[j]) <= bucket - nb then redis.call('HDEL', ck, h[j]) else total = total + tonumber(h[j + 1]) end
    end
  else
    total = redis.call('INCRBY', ck, amount)
  end
  if cttl > 0 then redis.call('PEXPIRE', ck, cttl) end
  if total >= threshold then
    local fresh
    if dttl > 0 then fresh = redis.call('SET', dk, '1', 'NX', 'PX', dttl) else fresh = redis.call('SET', dk, '1', 'NX') end
    if fresh then
      out[#out + 1] = i
      out[#out + 1] = total
    end
  end
end
return out
`;

function local(db: LocalDb, keys: string[], args: string[]): number[] {
  const amount = Number(args[0]);
  const n = Number(args[1]);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = 2 + i * ARGS_PER_CHECK;
    const [kind, threshold, cttl, dttl, bucket, nb] = [args[a]!, Number(args[a + 1]), Number(args[a + 2]), Number(args[a + 3]), Number(args[a + 4]), Number(args[a + 5])];
    const ck = keys[2 * i]!;
    const dk = keys[2 * i + 1]!;
    let total = 0;
    if (kind === 'r') {
      db.hincrBy(ck, String(bucket), amount);
      for (const [b, v] of Object.entries(db.hgetall(ck))) {
        if (Number(b) <= bucket - nb) db.hdel(ck, b);
        else total += Number(v);
      }
    } else {
      total = db.incrBy(ck, amount);
    }
    if (cttl > 0) db.pexpire(ck, cttl);
    if (total >= threshold && !db.exists(dk)) {
      db.set(dk, '1', dttl > 0 ? dttl : undefined);
      out.push(i + 1, total);
    }
  }
  return out;
}

export interface SpendTracker {
  /**
   * Add `costUsd` to every USD window the subjects have a limit for; return the windows whose
   * spend reached `share` of the limit for the first time in that window (one store call).
   */
  record(subjects: Subject[], costUsd: string): Promise<Crossing[]>;
}

/**
 * Per-window spend counters in the store, with a once-per-window flag. The flag's key names the
 * window instance and the limit, so a new day (or a raised limit) can alert again.
 */
export function createSpendTracker(store: Store, opts: { share: number; timezone: string; clock?: Clock }): SpendTracker {
  const run = store.defineScript<number[]>({ name: 'alerts_spend', lua: LUA, local });
  const now = () => (opts.clock ?? Date).now();
  const shareMillionths = BigInt(Math.round(opts.share * 1_000_000));
  return {
    async record(subjects, costUsd) {
      const amount = usdUnits(costUsd);
      if (amount <= 0n) return [];
      const t = now();
      const keys: string[] = [];
      const args: (string | number)[] = [];
      const checks: Omit<Crossing, 'spentUsd'>[] = [];
      for (const s of subjects) {
        for (const w of USD_WINDOWS) {
          const limit = s.limits[w];
          if (typeof limit !== 'number' || !(limit > 0)) continue;
          const span = windowSpan(w, t, opts.timezone);
          const limitUnits = usdUnits(limit);
          const threshold = (limitUnits * shareMillionths + 999_999n) / 1_000_000n;
          const base = `${PREFIX}:${s.level}:${s.id}:${w}`;
          const rolling = w === 'usd5h';
          const ttl = rolling ? FIVE_HOURS_MS + BUCKET_MS : span.end !== undefined ? span.end - t + GRACE_MS : 0;
          keys.push(rolling ? `${base}:spend` : `${base}:${span.id}:spend`, `${base}:${span.id}:${limit}:sent`);
          // Rolling windows: at most one alert per 5 hours.
          args.push(rolling ? 'r' : 'f', threshold.toString(), ttl, rolling ? FIVE_HOURS_MS : ttl, Math.floor(t / BUCKET_MS), BUCKETS_5H);
          checks.push({ subject: { level: s.level, id: s.id, name: s.name }, window: w, windowId: span.id, windowStart: span.start, windowEnd: span.end, limitUsd: limit, share: opts.share });
        }
      }
      if (!checks.length) return [];
      const out = await run(keys, [amount.toString(), checks.length, ...args]);
      const crossings: Crossing[] = [];
      for (let i = 0; i + 1 < out.length; i += 2) {
        const c = checks[Number(out[i]) - 1];
        if (c) crossings.push({ ...c, spentUsd: formatUnits(BigInt(Math.round(Number(out[i + 1])))) });
      }
      return crossings;
    },
  };
}
