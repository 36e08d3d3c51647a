/**
 * Concurrency counters: requests in flight and active sessions per subject.
 *
 * Each subject owns three keys, in this order:
 *   1 req      sorted set  request id → lease expiry (ms): in flight until released or expired
 *   2 sess     sorted set  session id → active until (ms)
 *   3 sessreq  hash        session id → its requests in flight
 * A session is active while it has a request in flight (its score is then the lease expiry)
 * and for the idle window after its last request ended. Leases bound how long a request of a
 * crashed instance keeps counting.
 */
import type { LocalDb, ScriptDefinition } from '@cch/core';
import { counterKey, createTtlRefresher, subjectKeys, type Backend, type FailoverStore, type Subject } from '../../limits-common/src/index.ts';

/** This instance refreshes a subject's key TTLs at most this often (they last half an hour or more). */
const TTL_REFRESH_MS = 20_000;

export const KEYS_PER_SUBJECT = 3;

const LUA_CLEANUP = `
local function cleanup(k, now)
  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', now)
  local gone = redis.call('ZRANGEBYSCORE', KEYS[k + 1], '-inf', now)
  if #gone > 0 then
    for _, s in ipairs(gone) do redis.call('HDEL', KEYS[k + 2], s) end
    redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', now)
  end
end
local function earliest(key)
  local e = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #e > 0 then return tonumber(e[2]) end
  return -1
end
`;

function cleanup(db: LocalDb, keys: string[], k: number, now: number): void {
  db.zremRangeByScore(keys[k]!, -Infinity, now);
  const gone = db.zrangeByScore(keys[k + 1]!, -Infinity, now);
  if (gone.length === 0) return;
  for (const { member } of gone) db.hdel(keys[k + 2]!, member);
  db.zremRangeByScore(keys[k + 1]!, -Infinity, now);
}

const earliest = (db: LocalDb, key: string): number => db.zrangeByScore(key, -Infinity, Infinity)[0]?.score ?? -1;

/**
 * Admit one request of one session in every subject, or none. An existing session is always
 * admitted past the session limit; the request limit is a hard cap. Counts are read only for
 * the limits that are set. Key TTLs are refreshed when the caller asks (at most every few
 * seconds per instance) and whenever a session is new to a subject, since that is when its keys
 * may have just been created.
 * ARGV: now, request id, session id, lease expiry, key TTL, refresh TTLs (0|1), then per subject:
 * request limit, session limit (-1 = unlimited).
 * Returns [1] or [0, subject, kind (1 requests, 2 sessions), count, earliest expiry].
 */
const ACQUIRE: ScriptDefinition = {
  name: 'limitConcurrencyAcquire2',
  lua: `${LUA_CLEANUP}
local now, member, sid, lease, ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local refresh = ARGV[6] == '1'
local n = #KEYS / 3
local current = {}
for s = 0, n - 1 do
  local k = s * 3 + 1
  cleanup(k, now)
  local limReq, limSess = tonumber(ARGV[7 + s * 2]), tonumber(ARGV[8 + s * 2])
  if limReq >= 0 then
    local nReq = redis.call('ZCARD', KEYS[k])
    if nReq >= limReq then return {0, s + 1, 1, nReq, earliest(KEYS[k])} end
  end
  local cur = redis.call('ZSCORE', KEYS[k + 1], sid)
  current[s] = cur
  if limSess >= 0 and not cur then
    local nSess = redis.call('ZCARD', KEYS[k + 1])
    if nSess >= limSess then return {0, s + 1, 2, nSess, earliest(KEYS[k + 1])} end
  end
end
for s = 0, n - 1 do
  local k = s * 3 + 1
  redis.call('ZADD', KEYS[k], lease, member)
  local cur = current[s]
  if not cur or lease > tonumber(cur) then redis.call('ZADD', KEYS[k + 1], lease, sid) end
  redis.call('HINCRBY', KEYS[k + 2], sid, 1)
  if refresh or not cur then
    for i = 0, 2 do redis.call('PEXPIRE', KEYS[k + i], ttl) end
  end
end
return {1}
`,
  local(db, keys, args) {
    const [now, member, sid, lease, ttl] = [Number(args[0]), args[1]!, args[2]!, Number(args[3]), Number(args[4])];
    const refresh = args[5] === '1';
    const n = keys.length / KEYS_PER_SUBJECT;
    const current: (number | null)[] = [];
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      cleanup(db, keys, k, now);
      const [limReq, limSess] = [Number(args[6 + s * 2]), Number(args[7 + s * 2])];
      if (limReq >= 0) {
        const nReq = db.zcard(keys[k]!);
        if (nReq >= limReq) return [0, s + 1, 1, nReq, earliest(db, keys[k]!)];
      }
      const cur = db.zscore(keys[k + 1]!, sid);
      current[s] = cur;
      if (limSess >= 0 && cur === null) {
        const nSess = db.zcard(keys[k + 1]!);
        if (nSess >= limSess) return [0, s + 1, 2, nSess, earliest(db, keys[k + 1]!)];
      }
    }
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      db.zadd(keys[k]!, lease, member);
      const cur = current[s] ?? null;
      if (cur === null || lease > cur) db.zadd(keys[k + 1]!, lease, sid);
      db.hincrBy(keys[k + 2]!, sid, 1);
      if (refresh || cur === null) for (let i = 0; i < 3; i++) db.pexpire(keys[k + i]!, ttl);
    }
    return [1];
  },
};

/**
 * End one request. When it was its session's last in flight, the session stays active for the
 * idle window from now. Expired entries are left to the next acquire. ARGV: now, request id,
 * session id, idle-until. Returns 1.
 */
const RELEASE: ScriptDefinition = {
  name: 'limitConcurrencyRelease2',
  lua: `
local member, sid, idle = ARGV[2], ARGV[3], tonumber(ARGV[4])
local n = #KEYS / 3
for s = 0, n - 1 do
  local k = s * 3 + 1
  local left
  if redis.call('ZREM', KEYS[k], member) == 1 then
    left = redis.call('HINCRBY', KEYS[k + 2], sid, -1)
  else
    left = tonumber(redis.call('HGET', KEYS[k + 2], sid) or 0)
  end
  if left <= 0 then
    redis.call('HDEL', KEYS[k + 2], sid)
    redis.call('ZADD', KEYS[k + 1], idle, sid)
  end
end
return 1
`,
  local(db, keys, args) {
    const [member, sid, idle] = [args[1]!, args[2]!, Number(args[3])];
    const n = keys.length / KEYS_PER_SUBJECT;
    for (let s = 0; s < n; s++) {
      const k = s * KEYS_PER_SUBJECT;
      const left = db.zrem(keys[k]!, member) === 1 ? db.hincrBy(keys[k + 2]!, sid, -1) : Number(db.hget(keys[k + 2]!, sid) ?? 0);
      if (left <= 0) {
        db.hdel(keys[k + 2]!, sid);
        db.zadd(keys[k + 1]!, idle, sid);
      }
    }
    return 1;
  },
};

/** One subject now. ARGV: now, session id. Returns [in flight, sessions, this session active 0|1]. */
const PEEK: ScriptDefinition = {
  name: 'limitConcurrencyPeek',
  lua: `${LUA_CLEANUP}
local now, sid = tonumber(ARGV[1]), ARGV[2]
cleanup(1, now)
local active = 0
if redis.call('ZSCORE', KEYS[2], sid) then active = 1 end
return {redis.call('ZCARD', KEYS[1]), redis.call('ZCARD', KEYS[2]), active}
`,
  local(db, keys, args) {
    cleanup(db, keys, 0, Number(args[0]));
    return [db.zcard(keys[0]!), db.zcard(keys[1]!), db.zscore(keys[1]!, args[1]!) === null ? 0 : 1];
  },
};

export interface ConcurrencyOptions {
  /** How long a session stays active after its last request ended. */
  sessionIdleMs: number;
  /** Longest a request counts as in flight without being released (crashed instance). */
  leaseMs: number;
}

/** One subject with its limits (undefined: count only). */
export interface ConcurrencyCheck {
  subject: Subject;
  requests: number | undefined;
  sessions: number | undefined;
}

export type AcquireResult =
  | { ok: true; on: Backend }
  | { ok: false; on: Backend; check: ConcurrencyCheck; kind: 'requests' | 'sessions'; count: number; earliestExpiryMs: number | undefined };

export interface ConcurrencyLimiter {
  acquire(checks: ConcurrencyCheck[], requestId: string, sessionId: string, now: number): Promise<AcquireResult>;
  release(subjects: Subject[], requestId: string, sessionId: string, now: number, on?: Backend): Promise<void>;
  peek(subject: Subject, sessionId: string, now: number): Promise<{ requests: number; sessions: number; sessionActive: boolean }>;
}

const keysOf = subjectKeys((s: Subject): string[] => {
  const base = counterKey(s, 'cc');
  return [`${base}:req`, `${base}:sess`, `${base}:sessreq`];
});

/** The concurrency counters over the failover store. */
export function createConcurrencyLimiter(store: FailoverStore, opts: ConcurrencyOptions): ConcurrencyLimiter {
  const acquire = store.define<number[]>(ACQUIRE);
  const refresher = createTtlRefresher(TTL_REFRESH_MS);
  const release = store.define<number>(RELEASE);
  const peek = store.define<number[]>(PEEK);
  const ttl = opts.leaseMs + opts.sessionIdleMs + 60_000;
  const sameSlot = (subjects: Subject[]) => {
    const tag = subjects[0]?.tag;
    for (const s of subjects) if (s.tag !== tag) throw new Error(`one concurrency call must stay in one hash slot, got ${tag} and ${s.tag}`);
  };
  return {
    async acquire(checks, requestId, sessionId, now) {
      sameSlot(checks.map((c) => c.subject));
      const keys = checks.flatMap((c) => keysOf(c.subject));
      const { value: r, on } = await acquire(keys, [
        now,
        requestId,
        sessionId,
        now + opts.leaseMs,
        ttl,
        refresher.due(keys[0]!, now),
        ...checks.flatMap((c) => [c.requests ?? -1, c.sessions ?? -1]),
      ]);
      if (r[0] === 1) return { ok: true, on };
      return { ok: false, on, check: checks[r[1]! - 1]!, kind: r[2] === 1 ? 'requests' : 'sessions', count: r[3]!, earliestExpiryMs: r[4]! >= 0 ? r[4]! : undefined };
    },
    async release(subjects, requestId, sessionId, now, on) {
      sameSlot(subjects);
      // A release that cannot reach the store it was acquired in is retried there when it is back.
      await release(subjects.flatMap(keysOf), [now, requestId, sessionId, now + opts.sessionIdleMs], { on, replay: true });
    },
    async peek(subject, sessionId, now) {
      const { value } = await peek(keysOf(subject), [now, sessionId]);
      return { requests: value[0]!, sessions: value[1]!, sessionActive: value[2] === 1 };
    },
  };
}
