/**
 * The USD ledger's atomic scripts, in Lua for Redis and in JavaScript for the memory store.
 * Money is integer micro-dollars throughout.
 *
 * Each subject (key, user or provider) owns eight keys, always passed in this order:
 *   1 res     sorted set  reservation id → expiry (ms)
 *   2 resamt  hash        reservation id → µ$ held
 *   3 r5      sorted set  "<id>|<µ$>" → settle time: spend of the rolling 5 h window
 *   4 r5sum   string      running sum of r5 (entries are subtracted as they leave)
 *   5 day     string      µ$ settled in the current daily window (key named by window start)
 *   6 week    string      … weekly window
 *   7 month   string      … monthly window
 *   8 total   string      µ$ settled, all time
 * Dimensions are numbered 1 = 5 h, 2 = daily, 3 = weekly, 4 = monthly, 5 = total.
 */
import type { LocalDb, ScriptDefinition } from '@cch/core';

export const KEYS_PER_SUBJECT = 8;
export const DIMENSIONS = 5;

const LUA_HELPERS = `
local function num(v) return tonumber(v) or 0 end
local function cleanup(k, now, fiveH)
  local res, resamt, r5, r5sum = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', res, '-inf', now)) do redis.call('HDEL', resamt, m) end
  redis.call('ZREMRANGEBYSCORE', res, '-inf', now)
  if redis.call('ZCARD', res) == 0 then redis.call('DEL', resamt) end
  local gone = 0
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', r5, '-inf', now - fiveH)) do gone = gone + num(string.match(m, '|(%d+)$')) end
  if gone > 0 then redis.call('DECRBY', r5sum, gone) end
  redis.call('ZREMRANGEBYSCORE', r5, '-inf', now - fiveH)
  if redis.call('ZCARD', r5) == 0 then redis.call('DEL', r5sum) end
end
local function reserved(k)
  local total = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[k + 1])) do total = total + num(v) end
  return total
end
local function settled(k)
  local out = {}
  for d = 1, 5 do out[d] = num(redis.call('GET', KEYS[k + 2 + d])) end
  return out
end
-- When enough 5 h spend has left for settled + held to drop below the limit, or -1 if it never will.
local function fiveHFreeAt(k, limit, held, fiveH)
  local over = num(redis.call('GET', KEYS[k + 3])) + held - limit
  if held >= limit then return -1 end
  local acc = 0
  local entries = redis.call('ZRANGEBYSCORE', KEYS[k + 2], '-inf', '+inf', 'WITHSCORES')
  for i = 1, #entries, 2 do
    acc = acc + num(string.match(entries[i], '|(%d+)$'))
    if acc > over then return tonumber(entries[i + 1]) + fiveH end
  end
  return -1
end
`;

/** The same helpers over the memory store. */
const num = (v: string | null | undefined): number => (v == null ? 0 : Number(v) || 0);
const amountOf = (member: string): number => num(/\|(\d+)$/.exec(member)?.[1]);

function cleanup(db: LocalDb, keys: string[], k: number, now: number, fiveH: number): void {
  const [res, resamt, r5, r5sum] = [keys[k]!, keys[k + 1]!, keys[k + 2]!, keys[k + 3]!];
  for (const { member } of db.zrangeByScore(res, -Infinity, now)) db.hdel(resamt, member);
  db.zremRangeByScore(res, -Infinity, now);
  if (db.zcard(res) === 0) db.del(resamt);
  let gone = 0;
  for (const { member } of db.zrangeByScore(r5, -Infinity, now - fiveH)) gone += amountOf(member);
  if (gone > 0) db.incrBy(r5sum, -gone);
  db.zremRangeByScore(r5, -Infinity, now - fiveH);
  if (db.zcard(r5) === 0) db.del(r5sum);
}

const reservedOf = (db: LocalDb, keys: string[], k: number): number => Object.values(db.hgetall(keys[k + 1]!)).reduce((a, v) => a + num(v), 0);

const settledOf = (db: LocalDb, keys: string[], k: number): number[] => [1, 2, 3, 4, 5].map((d) => num(db.get(keys[k + 2 + d]!)));

function fiveHFreeAt(db: LocalDb, keys: string[], k: number, limit: number, held: number, fiveH: number): number {
  const over = num(db.get(keys[k + 3]!)) + held - limit;
  if (held >= limit) return -1;
  let acc = 0;
  for (const { member, score } of db.zrangeByScore(keys[k + 2]!, -Infinity, Infinity)) {
    acc += amountOf(member);
    if (acc > over) return score + fiveH;
  }
  return -1;
}

/**
 * Check every limited dimension of every subject against settled + reserved spend; if all
 * have budget left (used < limit), hold `amount` for this request in every subject.
 * ARGV: now, id, amount, reservation expiry, 5 h in ms, reservation key TTL, then 5 limits
 * per subject (-1 = unlimited).
 * Returns [1] or [0, then per violation: subject, dimension, settled, reserved, 5 h free-at].
 */
export const RESERVE: ScriptDefinition = {
  name: 'limitCostReserve',
  lua: `${LUA_HELPERS}
local now, member, amount = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local expiry, fiveH, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local n = #KEYS / 8
local bad = {0}
for s = 0, n - 1 do
  local k = s * 8 + 1
  cleanup(k, now, fiveH)
  local held = reserved(k)
  local st = settled(k)
  for d = 1, 5 do
    local limit = tonumber(ARGV[6 + s * 5 + d])
    if limit >= 0 and st[d] + held >= limit then
      local freeAt = 0
      if d == 1 then freeAt = fiveHFreeAt(k, limit, held, fiveH) end
      for _, v in ipairs({s + 1, d, st[d], held, freeAt}) do bad[#bad + 1] = v end
    end
  end
end
if #bad > 1 then return bad end
for s = 0, n - 1 do
  local k = s * 8 + 1
  redis.call('ZADD', KEYS[k], expiry, member)
  redis.call('HSET', KEYS[k + 1], member, amount)
  redis.call('PEXPIRE', KEYS[k], ttl)
  redis.call('PEXPIRE', KEYS[k + 1], ttl)
end
return {1}
`,
  local(db, keys, args) {
    const [now, member, amount, expiry, fiveH, ttl] = [Number(args[0]), args[1]!, Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5])];
    const n = keys.length / KEYS_PER_SUBJECT;
    const bad: number[] = [0];
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      cleanup(db, keys, k, now, fiveH);
      const held = reservedOf(db, keys, k);
      const st = settledOf(db, keys, k);
      for (let d = 1; d <= DIMENSIONS; d++) {
        const limit = Number(args[5 + s * DIMENSIONS + d]);
        if (limit >= 0 && st[d - 1]! + held >= limit) {
          bad.push(s + 1, d, st[d - 1]!, held, d === 1 ? fiveHFreeAt(db, keys, k, limit, held, fiveH) : 0);
        }
      }
    }
    if (bad.length > 1) return bad;
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      db.zadd(keys[k]!, expiry, member);
      db.hset(keys[k + 1]!, member, String(amount));
      db.pexpire(keys[k]!, ttl);
      db.pexpire(keys[k + 1]!, ttl);
    }
    return [1];
  },
};

/**
 * Drop this request's reservation from every subject and, when `cost` > 0, add the real cost
 * to each window. ARGV: now, id, cost, 5 h in ms, then per subject: day/week/month key TTLs and
 * whether to keep a 5 h log (1/0). Returns 1.
 */
export const SETTLE: ScriptDefinition = {
  name: 'limitCostSettle',
  lua: `${LUA_HELPERS}
local now, member, cost, fiveH = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local n = #KEYS / 8
for s = 0, n - 1 do
  local k = s * 8 + 1
  local a = 4 + s * 4
  redis.call('ZREM', KEYS[k], member)
  redis.call('HDEL', KEYS[k + 1], member)
  if cost > 0 then
    cleanup(k, now, fiveH)
    if tonumber(ARGV[a + 4]) == 1 then
      redis.call('ZADD', KEYS[k + 2], now, member .. '|' .. string.format('%d', cost))
      redis.call('INCRBY', KEYS[k + 3], cost)
      redis.call('PEXPIRE', KEYS[k + 2], fiveH + 3600000)
      redis.call('PEXPIRE', KEYS[k + 3], fiveH + 3600000)
    end
    for w = 1, 3 do
      redis.call('INCRBY', KEYS[k + 3 + w], cost)
      redis.call('PEXPIRE', KEYS[k + 3 + w], tonumber(ARGV[a + w]))
    end
    redis.call('INCRBY', KEYS[k + 7], cost)
  end
end
return 1
`,
  local(db, keys, args) {
    const [now, member, cost, fiveH] = [Number(args[0]), args[1]!, Number(args[2]), Number(args[3])];
    const n = keys.length / KEYS_PER_SUBJECT;
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      const a = 3 + s * 4;
      db.zrem(keys[k]!, member);
      db.hdel(keys[k + 1]!, member);
      if (cost <= 0) continue;
      cleanup(db, keys, k, now, fiveH);
      if (Number(args[a + 4]) === 1) {
        db.zadd(keys[k + 2]!, now, `${member}|${cost}`);
        db.incrBy(keys[k + 3]!, cost);
        db.pexpire(keys[k + 2]!, fiveH + 3_600_000);
        db.pexpire(keys[k + 3]!, fiveH + 3_600_000);
      }
      for (let w = 1; w <= 3; w++) {
        db.incrBy(keys[k + 3 + w]!, cost);
        db.pexpire(keys[k + 3 + w]!, Number(args[a + w]));
      }
      db.incrBy(keys[k + 7]!, cost);
    }
    return 1;
  },
};

/**
 * One subject's ledger now. ARGV: now, 5 h in ms.
 * Returns [reserved, 5 h, daily, weekly, monthly, total, oldest 5 h entry time or -1].
 */
export const READ: ScriptDefinition = {
  name: 'limitCostRead',
  lua: `${LUA_HELPERS}
local now, fiveH = tonumber(ARGV[1]), tonumber(ARGV[2])
cleanup(1, now, fiveH)
local st = settled(1)
local first = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
local oldest = -1
if #first > 0 then oldest = tonumber(first[2]) end
return {reserved(1), st[1], st[2], st[3], st[4], st[5], oldest}
`,
  local(db, keys, args) {
    const [now, fiveH] = [Number(args[0]), Number(args[1])];
    cleanup(db, keys, 0, now, fiveH);
    const first = db.zrangeByScore(keys[2]!, -Infinity, Infinity)[0];
    return [reservedOf(db, keys, 0), ...settledOf(db, keys, 0), first ? first.score : -1];
  },
};
