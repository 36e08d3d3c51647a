import type { LocalDb, ScriptDefinition } from '@cch/core';
import { counterKey, type FailoverStore, type Backend, type Subject } from '../../limits-common/src/index.ts';

/** The rpm window: requests are counted over the last 60 s, exactly (a sliding log). */
export const RPM_WINDOW_MS = 60_000;
/** Keys outlive their newest entry by this much, so an idle subject's log disappears. */
const KEY_GRACE_MS = 60_000;

/**
 * Sliding log over several subjects at once, all or nothing. Per subject: drop entries that
 * left the window, count, and find when the entry that must leave for one more request to fit
 * does leave. Admit only if every limited subject has room; then log the request in all.
 * KEYS: one sorted set per subject. ARGV: now, windowMs, member, then one limit per subject
 * (-1 = count but do not limit).
 * Returns [1, count1, freeAt1, count2, freeAt2, …] (counts include this request; freeAt = when
 * the oldest entry leaves) or [0, subjectIndex, count, freeAt].
 */
const ACQUIRE: ScriptDefinition = {
  name: 'limitRpmAcquire',
  lua: `
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local member = ARGV[3]
local out = {1}
for i = 1, #KEYS do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)
  local count = redis.call('ZCARD', KEYS[i])
  local limit = tonumber(ARGV[3 + i])
  if limit >= 0 and count >= limit then
    local e = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', '+inf', 'WITHSCORES', 'LIMIT', count - limit, 1)
    local freeAt = now + win
    if #e > 0 then freeAt = tonumber(e[2]) + win end
    return {0, i, count, freeAt}
  end
  local freeAt = now + win
  local first = redis.call('ZRANGEBYSCORE', KEYS[i], '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if #first > 0 then freeAt = tonumber(first[2]) + win end
  out[#out + 1] = count + 1
  out[#out + 1] = freeAt
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  redis.call('PEXPIRE', KEYS[i], win + ${KEY_GRACE_MS})
end
return out
`,
  local(db: LocalDb, keys: string[], args: string[]) {
    const now = Number(args[0]);
    const win = Number(args[1]);
    const member = args[2]!;
    const out: number[] = [1];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      db.zremRangeByScore(key, -Infinity, now - win);
      const count = db.zcard(key);
      const limit = Number(args[3 + i]);
      const entries = db.zrangeByScore(key, -Infinity, Infinity);
      if (limit >= 0 && count >= limit) return [0, i + 1, count, (entries[count - limit]?.score ?? now) + win];
      out.push(count + 1, entries.length ? entries[0]!.score + win : now + win);
    }
    for (const key of keys) {
      db.zadd(key, now, member);
      db.pexpire(key, win + KEY_GRACE_MS);
    }
    return out;
  },
};

/** KEYS: one subject's log. ARGV: now, windowMs. Returns [count, freeAt or -1]. */
const PEEK: ScriptDefinition = {
  name: 'limitRpmPeek',
  lua: `
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
local first = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local freeAt = -1
if #first > 0 then freeAt = tonumber(first[2]) + win end
return {redis.call('ZCARD', KEYS[1]), freeAt}
`,
  local(db: LocalDb, keys: string[], args: string[]) {
    const now = Number(args[0]);
    const win = Number(args[1]);
    db.zremRangeByScore(keys[0]!, -Infinity, now - win);
    const first = db.zrangeByScore(keys[0]!, -Infinity, Infinity)[0];
    return [db.zcard(keys[0]!), first ? first.score + win : -1];
  },
};

/** One subject and its limit (undefined: count only). */
export interface RpmCheck {
  subject: Subject;
  limit: number | undefined;
}

export type RpmResult =
  | { ok: true; on: Backend; windows: { check: RpmCheck; count: number; freeAtMs: number }[] }
  | { ok: false; on: Backend; check: RpmCheck; count: number; freeAtMs: number };

export interface RpmLimiter {
  /** Admit and log one request against every subject (they must share a hash tag), or refuse. */
  acquire(checks: RpmCheck[], member: string, now: number): Promise<RpmResult>;
  /** Requests in the window now, and when the oldest leaves (undefined when none). */
  peek(subject: Subject, now: number): Promise<{ count: number; freeAtMs: number | undefined }>;
}

export const rpmKey = (s: Subject): string => counterKey(s, 'rpm');

/** The sliding-window request counter, over the failover store. */
export function createRpmLimiter(store: FailoverStore): RpmLimiter {
  const acquire = store.define<number[]>(ACQUIRE);
  const peek = store.define<[number, number]>(PEEK);
  return {
    async acquire(checks, member, now) {
      const tags = new Set(checks.map((c) => c.subject.tag));
      if (tags.size > 1) throw new Error(`one rpm call must stay in one hash slot, got ${[...tags].join(', ')}`);
      const { value: r, on } = await acquire(
        checks.map((c) => rpmKey(c.subject)),
        [now, RPM_WINDOW_MS, member, ...checks.map((c) => c.limit ?? -1)],
      );
      if (r[0] === 0) return { ok: false, on, check: checks[r[1]! - 1]!, count: r[2]!, freeAtMs: r[3]! };
      return { ok: true, on, windows: checks.map((check, i) => ({ check, count: r[1 + 2 * i]!, freeAtMs: r[2 + 2 * i]! })) };
    },
    async peek(subject, now) {
      const { value } = await peek([rpmKey(subject)], [now, RPM_WINDOW_MS]);
      return { count: value[0], freeAtMs: value[1] < 0 ? undefined : value[1] };
    },
  };
}
