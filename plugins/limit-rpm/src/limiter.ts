import type { LocalDb, ScriptDefinition } from '@cch/core';
import { counterKey, createTtlRefresher, subjectKeys, type FailoverStore, type Backend, type Subject } from '../../limits-common/src/index.ts';

/** The rpm window: requests are counted over the last 60 s, exactly (a sliding log). */
export const RPM_WINDOW_MS = 60_000;
/** Keys outlive their newest entry by this much, so an idle subject's log disappears. */
const KEY_GRACE_MS = 60_000;
/** This instance refreshes a log's TTL at most this often (the TTL is two minutes). */
const TTL_REFRESH_MS = 20_000;

/**
 * Sliding log over several subjects at once, all or nothing. Per subject: drop entries that
 * left the window and count; admit only if every limited subject has room, then log the request
 * in all. Only for the subject with the least room left (the one the rate-limit headers describe)
 * is the reset time looked up. A subject with limit -2 is only recorded (a provider picked for an
 * attempt: the balancer already checked its limit), which costs two commands.
 * KEYS: one sorted set per subject. ARGV: now, windowMs, member, refresh TTLs (0|1), then one
 * limit per subject (-1 = count but do not limit, -2 = record only).
 * Returns [1, tightest subject, its count (this request included), its freeAt] or
 * [0, subject, count, freeAt] (freeAt = when the entry that must leave for one more request to fit
 * does leave).
 */
const ACQUIRE: ScriptDefinition = {
  name: 'limitRpmAcquire2',
  lua: `
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local member = ARGV[3]
local refresh = ARGV[4] == '1'
local tight, tightRoom, tightCount = 0, nil, 0
for i = 1, #KEYS do
  local limit = tonumber(ARGV[4 + i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)
  if limit > -2 then
    local count = redis.call('ZCARD', KEYS[i])
    if count == 0 then refresh = true end
    if limit >= 0 and count >= limit then
      local e = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
      local freeAt = now + win
      if #e > 0 then freeAt = tonumber(e[2]) + win end
      return {0, i, count, freeAt}
    end
    if limit >= 0 and (tightRoom == nil or limit - count < tightRoom) then
      tight, tightRoom, tightCount = i, limit - count, count
    end
  end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now, member)
  if refresh then redis.call('PEXPIRE', KEYS[i], win + ${KEY_GRACE_MS}) end
end
if tight == 0 then return {1, 0, 0, 0} end
local first = redis.call('ZRANGE', KEYS[tight], 0, 0, 'WITHSCORES')
return {1, tight, tightCount + 1, tonumber(first[2]) + win}
`,
  local(db: LocalDb, keys: string[], args: string[]) {
    const now = Number(args[0]);
    const win = Number(args[1]);
    const member = args[2]!;
    let refresh = args[3] === '1';
    let tight = 0;
    let tightRoom = Infinity;
    let tightCount = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const limit = Number(args[4 + i]);
      db.zremRangeByScore(key, -Infinity, now - win);
      if (limit <= -2) continue;
      const count = db.zcard(key);
      if (count === 0) refresh = true;
      if (limit >= 0 && count >= limit) {
        const entries = db.zrangeByScore(key, -Infinity, Infinity);
        return [0, i + 1, count, (entries[count - limit]?.score ?? now) + win];
      }
      if (limit >= 0 && limit - count < tightRoom) [tight, tightRoom, tightCount] = [i + 1, limit - count, count];
    }
    for (const key of keys) {
      db.zadd(key, now, member);
      if (refresh) db.pexpire(key, win + KEY_GRACE_MS);
    }
    if (tight === 0) return [1, 0, 0, 0];
    const first = db.zrangeByScore(keys[tight - 1]!, -Infinity, Infinity)[0]!;
    return [1, tight, tightCount + 1, first.score + win];
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

/** KEYS: one subject's log. ARGV: member. Removes one entry (a request counted that never went). Returns 1 or 0. */
const FORGET: ScriptDefinition = {
  name: 'limitRpmForget',
  lua: `return redis.call('ZREM', KEYS[1], ARGV[1])`,
  local(db: LocalDb, keys: string[], args: string[]) {
    return db.zrem(keys[0]!, args[0]!);
  },
};

/** One subject and its limit (undefined: count only). */
export interface RpmCheck {
  subject: Subject;
  limit: number | undefined;
}

export type RpmResult =
  /** `tightest`: the limited subject with the least room left (undefined when none is limited). */
  | { ok: true; on: Backend; tightest: { check: RpmCheck; count: number; freeAtMs: number } | undefined }
  | { ok: false; on: Backend; check: RpmCheck; count: number; freeAtMs: number };

export interface RpmLimiter {
  /** Admit and log one request against every subject (they must share a hash tag), or refuse. */
  acquire(checks: RpmCheck[], member: string, now: number): Promise<RpmResult>;
  /** Log one request against a subject without checking it (a provider picked for an attempt). */
  record(subject: Subject, member: string, now: number): Promise<void>;
  /** Take back an entry `record` made, for a request that did not reach the subject after all. */
  forget(subject: Subject, member: string): Promise<void>;
  /** Requests in the window now, and when the oldest leaves (undefined when none). */
  peek(subject: Subject, now: number): Promise<{ count: number; freeAtMs: number | undefined }>;
}

const rpmKeys = subjectKeys((s) => [counterKey(s, 'rpm')]);
export const rpmKey = (s: Subject): string => rpmKeys(s)[0]!;

/** The sliding-window request counter, over the failover store. */
export function createRpmLimiter(store: FailoverStore): RpmLimiter {
  const acquire = store.define<number[]>(ACQUIRE);
  const peek = store.define<[number, number]>(PEEK);
  const forget = store.define<number>(FORGET);
  const ttl = createTtlRefresher(TTL_REFRESH_MS);
  return {
    async acquire(checks, member, now) {
      const tag = checks[0]!.subject.tag;
      for (const c of checks) if (c.subject.tag !== tag) throw new Error(`one rpm call must stay in one hash slot, got ${tag} and ${c.subject.tag}`);
      const keys = checks.map((c) => rpmKey(c.subject));
      const { value: r, on } = await acquire(keys, [now, RPM_WINDOW_MS, member, ttl.due(keys[0]!, now), ...checks.map((c) => c.limit ?? -1)]);
      if (r[0] === 0) return { ok: false, on, check: checks[r[1]! - 1]!, count: r[2]!, freeAtMs: r[3]! };
      return { ok: true, on, tightest: r[1] === 0 ? undefined : { check: checks[r[1]! - 1]!, count: r[2]!, freeAtMs: r[3]! } };
    },
    async record(subject, member, now) {
      const key = rpmKey(subject);
      await acquire([key], [now, RPM_WINDOW_MS, member, ttl.due(key, now), -2]);
    },
    async forget(subject, member) {
      await forget([rpmKey(subject)], [member]);
    },
    async peek(subject, now) {
      const { value } = await peek([rpmKey(subject)], [now, RPM_WINDOW_MS]);
      return { count: value[0], freeAtMs: value[1] < 0 ? undefined : value[1] };
    },
  };
}
