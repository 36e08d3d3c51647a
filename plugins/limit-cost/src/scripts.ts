/**
 * The USD ledger's atomic scripts, in Lua for Redis and in JavaScript for the memory store.
 * Money is integer micro-dollars throughout.
 *
 * Each subject (key, user or provider) owns three keys, always passed in this order:
 *   1 res   hash        reservation id → "<µ$ held>|<expiry ms>", plus `#held` (their running
 *                       sum) and `#min` (no hold expires before it; may be early, never late)
 *   2 r5    sorted set  "<id>|<µ$>" → settle time: spend of the rolling 5 h window
 *   3 sums  hash        `5h` running sum of r5 (entries are subtracted as they leave),
 *                       `d:<start>` / `w:<start>` / `m:<start>` µ$ settled in the calendar window
 *                       starting at <start> (older windows' fields are dropped when a new one
 *                       begins), `total` all time
 * Dimensions are numbered 1 = 5 h, 2 = daily, 3 = weekly, 4 = monthly, 5 = total.
 *
 * Store work per request is what the gateway's throughput is made of, so each script touches as
 * few keys as it can: one HMGET for the holds' sum, one for every window, TTLs set only when a
 * key may be new or the caller says a refresh is due. The holds themselves are walked only when
 * one may have expired (`#min` has passed: about once per reservation TTL) or the sum is missing
 * (a new key, or one written by an older version) — walking them on every call cost Redis ~30 µs
 * per subject with 32 requests in flight, and grew with concurrency.
 */
import type { LocalDb, ScriptDefinition } from '@cch/core';

export const KEYS_PER_SUBJECT = 3;
/** `#min` when nothing is held: later than any expiry. */
const NO_HOLD = 9_000_000_000_000_000;
export const DIMENSIONS = 5;

const LUA_HELPERS = `
local function num(v) return tonumber(v) or 0 end
-- Drops 5 h log entries older than the window from the log and its running sum.
local function trim5h(k, now, fiveH)
  local old = redis.call('ZRANGEBYSCORE', KEYS[k + 1], '-inf', now - fiveH)
  if #old == 0 then return end
  local gone = 0
  for _, m in ipairs(old) do gone = gone + num(string.match(m, '|(%d+)$')) end
  if gone > 0 then redis.call('HINCRBY', KEYS[k + 2], '5h', -gone) end
  redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', now - fiveH)
end
-- µ$ held by live reservations, #min as it now stands, and whether the key was new. Expired
-- holds are dropped, and the sum recounted, only when one may have expired or the sum is missing.
local function holds(k, now)
  local h = redis.call('HMGET', KEYS[k], '#held', '#min')
  local low = tonumber(h[2])
  if low and low > now and h[1] then return math.max(0, num(h[1])), low, false end
  local all = redis.call('HGETALL', KEYS[k])
  local total, first = 0, ${NO_HOLD}
  for i = 1, #all, 2 do
    if string.byte(all[i], 1) ~= 35 then
      local amount, expiry = string.match(all[i + 1], '^(%d+)|(%d+)$')
      expiry = tonumber(expiry)
      if expiry <= now then redis.call('HDEL', KEYS[k], all[i])
      else
        total = total + tonumber(amount)
        if expiry < first then first = expiry end
      end
    end
  end
  redis.call('HSET', KEYS[k], '#held', string.format('%d', total), '#min', string.format('%d', first))
  return total, first, low == nil
end
local function addHold(k, member, amount, expiry, low)
  redis.call('HSET', KEYS[k], member, string.format('%d|%d', amount, expiry))
  redis.call('HINCRBY', KEYS[k], '#held', amount)
  if expiry < low then redis.call('HSET', KEYS[k], '#min', string.format('%d', expiry)) end
end
local function dropHold(k, member)
  local v = redis.call('HGET', KEYS[k], member)
  if not v then return end
  redis.call('HDEL', KEYS[k], member)
  redis.call('HINCRBY', KEYS[k], '#held', -num(string.match(v, '^(%d+)|')))
end
-- When enough 5 h spend has left for settled + held to drop below the limit, or -1 if it never will.
local function fiveHFreeAt(k, limit, sum5h, held, fiveH)
  if held >= limit then return -1 end
  local over = sum5h + held - limit
  local acc = 0
  local entries = redis.call('ZRANGE', KEYS[k + 1], 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    acc = acc + num(string.match(entries[i], '|(%d+)$'))
    if acc > over then return tonumber(entries[i + 1]) + fiveH end
  end
  return -1
end
-- Books cost into a calendar field; when the field is new, older windows of that kind are dropped.
local function book(k, kind, start, cost)
  local field = kind .. ':' .. start
  if redis.call('HINCRBY', KEYS[k + 2], field, cost) == cost then
    for _, f in ipairs(redis.call('HKEYS', KEYS[k + 2])) do
      local fk, fs = string.match(f, '^(%a):(%d+)$')
      if fk == kind and tonumber(fs) < tonumber(start) then redis.call('HDEL', KEYS[k + 2], f) end
    end
  end
end
`;

/** The same helpers over the memory store. */
const num = (v: string | null | undefined): number => (v == null ? 0 : Number(v) || 0);
const amountOf = (member: string): number => num(/\|(\d+)$/.exec(member)?.[1]);

function trim5h(db: LocalDb, keys: string[], k: number, now: number, fiveH: number): void {
  const old = db.zrangeByScore(keys[k + 1]!, -Infinity, now - fiveH);
  if (old.length === 0) return;
  const gone = old.reduce((a, { member }) => a + amountOf(member), 0);
  if (gone > 0) db.hincrBy(keys[k + 2]!, '5h', -gone);
  db.zremRangeByScore(keys[k + 1]!, -Infinity, now - fiveH);
}

/** µ$ held by live reservations, `#min` as it now stands, and whether the key was new (see the Lua). */
function holds(db: LocalDb, keys: string[], k: number, now: number): [number, number, boolean] {
  const sum = db.hget(keys[k]!, '#held');
  const minField = db.hget(keys[k]!, '#min');
  const low = minField === null ? undefined : Number(minField);
  if (low !== undefined && low > now && sum !== null) return [Math.max(0, num(sum)), low, false];
  let total = 0;
  let first = NO_HOLD;
  for (const [id, v] of Object.entries(db.hgetall(keys[k]!))) {
    if (id.startsWith('#')) continue;
    const [amount, expiry] = v.split('|').map(Number) as [number, number];
    if (expiry <= now) db.hdel(keys[k]!, id);
    else {
      total += amount;
      first = Math.min(first, expiry);
    }
  }
  db.hset(keys[k]!, '#held', String(total));
  db.hset(keys[k]!, '#min', String(first));
  return [total, first, low === undefined];
}

/** Add a hold: its amount to the sum, its expiry to `#min` when earlier. */
function addHold(db: LocalDb, key: string, member: string, amount: number, expiry: number, low: number): void {
  db.hset(key, member, `${amount}|${expiry}`);
  db.hincrBy(key, '#held', amount);
  if (expiry < low) db.hset(key, '#min', String(expiry));
}

/** Drop a hold (if it is still there) and its amount from the sum. */
function dropHold(db: LocalDb, key: string, member: string): void {
  const v = db.hget(key, member);
  if (v === null) return;
  db.hdel(key, member);
  db.hincrBy(key, '#held', -num(v.split('|')[0]));
}

function fiveHFreeAt(db: LocalDb, keys: string[], k: number, limit: number, sum5h: number, held: number, fiveH: number): number {
  if (held >= limit) return -1;
  const over = sum5h + held - limit;
  let acc = 0;
  for (const { member, score } of db.zrangeByScore(keys[k + 1]!, -Infinity, Infinity)) {
    acc += amountOf(member);
    if (acc > over) return score + fiveH;
  }
  return -1;
}

function book(db: LocalDb, keys: string[], k: number, kind: string, start: string, cost: number): void {
  if (db.hincrBy(keys[k + 2]!, `${kind}:${start}`, cost) !== cost) return;
  for (const f of Object.keys(db.hgetall(keys[k + 2]!))) {
    const m = /^([a-z]):(\d+)$/.exec(f);
    if (m && m[1] === kind && Number(m[2]) < Number(start)) db.hdel(keys[k + 2]!, f);
  }
}

/**
 * Check every limited dimension of every subject against settled + reserved spend; if all
 * have budget left (used < limit), hold `amount` for this request in every subject.
 * ARGV: now, id, amount, reservation expiry, 5 h in ms, reservation key TTL, refresh TTLs (0|1),
 * daily, weekly and monthly window starts, then 5 limits per subject (-1 = unlimited).
 * Returns [1] or [0, then per violation: subject, dimension, settled, reserved, 5 h free-at].
 */
export const RESERVE: ScriptDefinition = {
  name: 'limitCostReserve3',
  lua: `${LUA_HELPERS}
local now, member, amount = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local expiry, fiveH, ttl, refresh = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7] == '1'
local d, w, m = ARGV[8], ARGV[9], ARGV[10]
local n = #KEYS / 3
local bad = {0}
local lows, fresh = {}, {}
for s = 0, n - 1 do
  local k = s * 3 + 1
  local a = 10 + s * 5
  if tonumber(ARGV[a + 1]) >= 0 then trim5h(k, now, fiveH) end
  local held, low, new = holds(k, now)
  lows[s] = low
  fresh[s] = new
  local st = redis.call('HMGET', KEYS[k + 2], '5h', 'd:' .. d, 'w:' .. w, 'm:' .. m, 'total')
  for i = 1, 5 do
    local limit = tonumber(ARGV[a + i])
    local spent = num(st[i])
    if limit >= 0 and spent + held >= limit then
      local freeAt = 0
      if i == 1 then freeAt = fiveHFreeAt(k, limit, spent, held, fiveH) end
      for _, v in ipairs({s + 1, i, spent, held, freeAt}) do bad[#bad + 1] = v end
    end
  end
end
if #bad > 1 then return bad end
for s = 0, n - 1 do
  local k = s * 3 + 1
  addHold(k, member, amount, expiry, lows[s])
  if refresh or fresh[s] then redis.call('PEXPIRE', KEYS[k], ttl) end
end
return {1}
`,
  local(db, keys, args) {
    const [now, member, amount, expiry, fiveH, ttl] = [Number(args[0]), args[1]!, Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5])];
    const refresh = args[6] === '1';
    const [d, w, m] = [args[7]!, args[8]!, args[9]!];
    const n = keys.length / KEYS_PER_SUBJECT;
    const bad: number[] = [0];
    const lows: number[] = [];
    const fresh: boolean[] = [];
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      const a = 9 + s * DIMENSIONS;
      if (Number(args[a + 1]) >= 0) trim5h(db, keys, k, now, fiveH);
      const [held, low, isNew] = holds(db, keys, k, now);
      lows[s] = low;
      fresh[s] = isNew;
      const st = ['5h', `d:${d}`, `w:${w}`, `m:${m}`, 'total'].map((f) => num(db.hget(keys[k + 2]!, f)));
      for (let i = 1; i <= DIMENSIONS; i++) {
        const limit = Number(args[a + i]);
        const spent = st[i - 1]!;
        if (limit >= 0 && spent + held >= limit) bad.push(s + 1, i, spent, held, i === 1 ? fiveHFreeAt(db, keys, k, limit, spent, held, fiveH) : 0);
      }
    }
    if (bad.length > 1) return bad;
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      addHold(db, keys[k]!, member, amount, expiry, lows[s]!);
      if (refresh || fresh[s]) db.pexpire(keys[k]!, ttl);
    }
    return [1];
  },
};

/**
 * Drop this request's reservation from every subject and, when `cost` > 0, add the real cost
 * to each window. ARGV: now, id, cost, 5 h in ms, refresh TTLs (0|1), daily, weekly and monthly
 * window starts, then per subject whether to keep a 5 h log (1/0). Returns 1.
 */
export const SETTLE: ScriptDefinition = {
  name: 'limitCostSettle3',
  lua: `${LUA_HELPERS}
local now, member, cost, fiveH, refresh = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5] == '1'
local d, w, m = ARGV[6], ARGV[7], ARGV[8]
local n = #KEYS / 3
for s = 0, n - 1 do
  local k = s * 3 + 1
  dropHold(k, member)
  if cost > 0 then
    if tonumber(ARGV[9 + s]) == 1 then
      trim5h(k, now, fiveH)
      redis.call('ZADD', KEYS[k + 1], now, member .. '|' .. string.format('%d', cost))
      if redis.call('HINCRBY', KEYS[k + 2], '5h', cost) == cost or refresh then
        redis.call('PEXPIRE', KEYS[k + 1], fiveH + 3600000)
      end
    end
    book(k, 'd', d, cost)
    book(k, 'w', w, cost)
    book(k, 'm', m, cost)
    redis.call('HINCRBY', KEYS[k + 2], 'total', cost)
  end
end
return 1
`,
  local(db, keys, args) {
    const [now, member, cost, fiveH] = [Number(args[0]), args[1]!, Number(args[2]), Number(args[3])];
    const refresh = args[4] === '1';
    const [d, w, m] = [args[5]!, args[6]!, args[7]!];
    const n = keys.length / KEYS_PER_SUBJECT;
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      dropHold(db, keys[k]!, member);
      if (cost <= 0) continue;
      if (Number(args[8 + s]) === 1) {
        trim5h(db, keys, k, now, fiveH);
        db.zadd(keys[k + 1]!, now, `${member}|${cost}`);
        if (db.hincrBy(keys[k + 2]!, '5h', cost) === cost || refresh) db.pexpire(keys[k + 1]!, fiveH + 3_600_000);
      }
      book(db, keys, k, 'd', d, cost);
      book(db, keys, k, 'w', w, cost);
      book(db, keys, k, 'm', m, cost);
      db.hincrBy(keys[k + 2]!, 'total', cost);
    }
    return 1;
  },
};

/**
 * One subject's ledger now. ARGV: now, 5 h in ms, daily, weekly and monthly window starts.
 * Returns [reserved, 5 h, daily, weekly, monthly, total, oldest 5 h entry time or -1].
 */
export const READ: ScriptDefinition = {
  name: 'limitCostRead3',
  lua: `${LUA_HELPERS}
local now, fiveH = tonumber(ARGV[1]), tonumber(ARGV[2])
trim5h(1, now, fiveH)
local held = holds(1, now)
local st = redis.call('HMGET', KEYS[3], '5h', 'd:' .. ARGV[3], 'w:' .. ARGV[4], 'm:' .. ARGV[5], 'total')
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
local oldest = -1
if #first > 0 then oldest = tonumber(first[2]) end
return {held, num(st[1]), num(st[2]), num(st[3]), num(st[4]), num(st[5]), oldest}
`,
  local(db, keys, args) {
    const [now, fiveH] = [Number(args[0]), Number(args[1])];
    trim5h(db, keys, 0, now, fiveH);
    const [held] = holds(db, keys, 0, now);
    const st = ['5h', `d:${args[2]}`, `w:${args[3]}`, `m:${args[4]}`, 'total'].map((f) => num(db.hget(keys[2]!, f)));
    const first = db.zrangeByScore(keys[1]!, -Infinity, Infinity)[0];
    return [held, ...st, first ? first.score : -1];
  },
};
