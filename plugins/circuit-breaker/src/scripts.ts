import type { LocalDb, ScriptDefinition } from '@cch/core';

/**
 * The breaker's state transitions as atomic store scripts, one Lua body for Redis and the same
 * logic over {@link LocalDb} for the memory store. `now` is always an argument, so every instance
 * (and a test's manual clock) decides by the same time and Redis's own clock never matters.
 *
 * One hash per provider: `s` state (`closed` | `open` | `half_open`), `f` consecutive failures,
 * `o` opened at, `r` retry at (ms), `h` half-open successes, and `p:<holder>` = lease expiry of
 * each probe in flight. A closed circuit with no failures has no key at all.
 *
 * Replies: record → `[state, failures, openedAt, retryAt, transition]`;
 * acquire → `[allowed 0|1, state, failures, openedAt, retryAt, transition]`;
 * force/reset → `[previous state, failures, openedAt, retryAt]`. `transition` is `''`, `opened`,
 * `half_open` or `closed`: only the one call that made a transition reports it, cluster-wide.
 */

const PROBE_PREFIX = 'p:';

/** Shared Lua prelude: read the fixed fields. */
const READ = `
local v = redis.call('HMGET', KEYS[1], 's', 'f', 'o', 'r', 'h')
local s = v[1] or 'closed'
local f = tonumber(v[2] or '0')
local o = tonumber(v[3] or '0')
local r = tonumber(v[4] or '0')
local h = tonumber(v[5] or '0')
`;

const CLEAR_PROBES = `
local names = redis.call('HKEYS', KEYS[1])
for i = 1, #names do
  if string.sub(names[i], 1, 2) == 'p:' then redis.call('HDEL', KEYS[1], names[i]) end
end
`;

interface Fields {
  s: string;
  f: number;
  o: number;
  r: number;
  h: number;
}

function read(db: LocalDb, key: string): Fields & { existed: boolean } {
  const s = db.hget(key, 's');
  const f = db.hget(key, 'f');
  return { existed: s !== null || f !== null, s: s ?? 'closed', f: Number(f ?? 0), o: Number(db.hget(key, 'o') ?? 0), r: Number(db.hget(key, 'r') ?? 0), h: Number(db.hget(key, 'h') ?? 0) };
}

function write(db: LocalDb, key: string, x: Fields): void {
  db.hset(key, 's', x.s);
  db.hset(key, 'f', String(x.f));
  db.hset(key, 'o', String(x.o));
  db.hset(key, 'r', String(x.r));
  db.hset(key, 'h', String(x.h));
}

function clearProbes(db: LocalDb, key: string): void {
  for (const name of Object.keys(db.hgetall(key))) if (name.startsWith(PROBE_PREFIX)) db.hdel(key, name);
}

/**
 * Count one outcome. ARGV: now, outcome (`success` | `failure` | `neutral`), holder ('' = none),
 * failureThreshold, openMs, halfOpenSuccesses, idleMs (key lifetime after the last change).
 * A late result of a request sent before the circuit opened changes nothing while it is open.
 */
export const recordScript: ScriptDefinition = {
  name: 'circuitBreakerRecord',
  lua: `
local now = tonumber(ARGV[1])
local outcome = ARGV[2]
local holder = ARGV[3]
local threshold = tonumber(ARGV[4])
local openMs = tonumber(ARGV[5])
local needed = tonumber(ARGV[6])
local idleMs = tonumber(ARGV[7])
${READ}
local existed = v[1] or v[2]
if holder ~= '' then redis.call('HDEL', KEYS[1], 'p:' .. holder) end
local t = ''
if outcome == 'failure' then
  if s == 'closed' then
    f = f + 1
    if f >= threshold then s = 'open'; o = now; r = now + openMs; h = 0; t = 'opened' end
  elseif s == 'half_open' then
    f = f + 1; s = 'open'; o = now; r = now + openMs; h = 0; t = 'opened'
  end
elseif outcome == 'success' then
  if s == 'closed' then
    f = 0
  elseif s == 'half_open' then
    h = h + 1
    if h >= needed then s = 'closed'; f = 0; h = 0; o = 0; r = 0; t = 'closed' end
  end
end
if s == 'closed' and f == 0 then
  if existed then redis.call('DEL', KEYS[1]) end
elseif outcome ~= 'neutral' then
  redis.call('HSET', KEYS[1], 's', s, 'f', f, 'o', o, 'r', r, 'h', h)
  if t == 'opened' then ${CLEAR_PROBES} end
  redis.call('PEXPIRE', KEYS[1], idleMs + math.max(0, r - now))
end
return {s, f, o, r, t}
`,
  local(db, keys, args) {
    const key = keys[0]!;
    const [nowS, outcome, holder, thresholdS, openMsS, neededS, idleMsS] = args;
    const now = Number(nowS);
    const openMs = Number(openMsS);
    const x = read(db, key);
    if (holder) db.hdel(key, PROBE_PREFIX + holder);
    let t = '';
    if (outcome === 'failure') {
      if (x.s === 'closed') {
        x.f += 1;
        if (x.f >= Number(thresholdS)) {
          Object.assign(x, { s: 'open', o: now, r: now + openMs, h: 0 });
          t = 'opened';
        }
      } else if (x.s === 'half_open') {
        Object.assign(x, { f: x.f + 1, s: 'open', o: now, r: now + openMs, h: 0 });
        t = 'opened';
      }
    } else if (outcome === 'success') {
      if (x.s === 'closed') x.f = 0;
      else if (x.s === 'half_open') {
        x.h += 1;
        if (x.h >= Number(neededS)) {
          Object.assign(x, { s: 'closed', f: 0, h: 0, o: 0, r: 0 });
          t = 'closed';
        }
      }
    }
    if (x.s === 'closed' && x.f === 0) {
      if (x.existed) db.del(key);
    } else if (outcome !== 'neutral') {
      write(db, key, x);
      if (t === 'opened') clearProbes(db, key);
      db.pexpire(key, Number(idleMsS) + Math.max(0, x.r - now));
    }
    return [x.s, x.f, x.o, x.r, t];
  },
};

/**
 * May a request go to this provider now? Closed: yes, without a write. Open past its retry time:
 * becomes half-open. Half-open: yes when fewer than maxProbes unexpired probes are in flight, and
 * the caller then holds a probe lease until it records an outcome (or the lease runs out, so a
 * crashed instance cannot wedge the circuit). ARGV: now, holder, maxProbes, leaseMs, idleMs.
 */
export const acquireScript: ScriptDefinition = {
  name: 'circuitBreakerAcquire',
  lua: `
local now = tonumber(ARGV[1])
local holder = ARGV[2]
local maxProbes = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local idleMs = tonumber(ARGV[5])
${READ}
if s == 'closed' then return {1, s, f, o, r, ''} end
local t = ''
if s == 'open' then
  if now < r then return {0, s, f, o, r, ''} end
  s = 'half_open'; t = 'half_open'
  redis.call('HSET', KEYS[1], 's', s, 'h', 0)
end
local live = 0
local mine = 'p:' .. holder
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local name = all[i]
  if string.sub(name, 1, 2) == 'p:' then
    if tonumber(all[i + 1]) <= now then redis.call('HDEL', KEYS[1], name)
    elseif name == mine then return {1, s, f, o, r, t}
    else live = live + 1 end
  end
end
if live >= maxProbes then return {0, s, f, o, r, t} end
redis.call('HSET', KEYS[1], mine, now + leaseMs)
redis.call('PEXPIRE', KEYS[1], idleMs + leaseMs)
return {1, s, f, o, r, t}
`,
  local(db, keys, args) {
    const key = keys[0]!;
    const now = Number(args[0]);
    const [, holder, maxProbesS, leaseMsS, idleMsS] = args;
    const x = read(db, key);
    if (x.s === 'closed') return [1, x.s, x.f, x.o, x.r, ''];
    let t = '';
    if (x.s === 'open') {
      if (now < x.r) return [0, x.s, x.f, x.o, x.r, ''];
      x.s = 'half_open';
      t = 'half_open';
      db.hset(key, 's', x.s);
      db.hset(key, 'h', '0');
    }
    let live = 0;
    const mine = PROBE_PREFIX + holder;
    for (const [name, value] of Object.entries(db.hgetall(key))) {
      if (!name.startsWith(PROBE_PREFIX)) continue;
      if (Number(value) <= now) db.hdel(key, name);
      else if (name === mine) return [1, x.s, x.f, x.o, x.r, t];
      else live++;
    }
    if (live >= Number(maxProbesS)) return [0, x.s, x.f, x.o, x.r, t];
    db.hset(key, mine, String(now + Number(leaseMsS)));
    db.pexpire(key, Number(idleMsS) + Number(leaseMsS));
    return [1, x.s, x.f, x.o, x.r, t];
  },
};

/** Open now, for `openMs`, whatever the state. ARGV: now, openMs, idleMs. */
export const forceOpenScript: ScriptDefinition = {
  name: 'circuitBreakerForceOpen',
  lua: `
local now = tonumber(ARGV[1])
local openMs = tonumber(ARGV[2])
local idleMs = tonumber(ARGV[3])
${READ}
local prev = s
if s == 'open' and now >= r then prev = 'half_open' end
${CLEAR_PROBES}
redis.call('HSET', KEYS[1], 's', 'open', 'f', f, 'o', now, 'r', now + openMs, 'h', 0)
redis.call('PEXPIRE', KEYS[1], idleMs + openMs)
return {prev, f, now, now + openMs}
`,
  local(db, keys, args) {
    const key = keys[0]!;
    const [now, openMs, idleMs] = args.map(Number) as [number, number, number];
    const x = read(db, key);
    const prev = x.s === 'open' && now >= x.r ? 'half_open' : x.s;
    clearProbes(db, key);
    write(db, key, { s: 'open', f: x.f, o: now, r: now + openMs, h: 0 });
    db.pexpire(key, idleMs + openMs);
    return [prev, x.f, now, now + openMs];
  },
};

/** Forget everything (closed, no failures). ARGV: now. */
export const resetScript: ScriptDefinition = {
  name: 'circuitBreakerReset',
  lua: `
local now = tonumber(ARGV[1])
${READ}
local prev = s
if s == 'open' and now >= r then prev = 'half_open' end
redis.call('DEL', KEYS[1])
return {prev, f, o, r}
`,
  local(db, keys, args) {
    const key = keys[0]!;
    const now = Number(args[0]);
    const x = read(db, key);
    db.del(key);
    return [x.s === 'open' && now >= x.r ? 'half_open' : x.s, x.f, x.o, x.r];
  },
};

export const SCRIPTS = [recordScript, acquireScript, forceOpenScript, resetScript];
