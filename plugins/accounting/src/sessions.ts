import type { LocalDb, SettledExchange, Store } from '@cch/core';
import { unitsToUsd, usdToUnits } from '@cch/core';

/** A session seen within the last SESSION_TTL seconds. */
export interface ActiveSession {
  sessionId: string;
  userId: number | null;
  userName: string | null;
  keyId: number | null;
  keyName: string | null;
  /** The provider of the session's latest request. */
  providerId: number | null;
  providerName: string | null;
  model: string | null;
  /** ISO times of the first and the latest request. */
  startedAt: string;
  lastAt: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  /** Decimal USD. */
  costUsd: string;
}

export interface SessionTracker {
  /** One store call per settled exchange that has a session id. */
  record(ex: SettledExchange, costUsd: string): Promise<void>;
  /** Most recently active first. */
  list(limit?: number): Promise<ActiveSession[]>;
}

// One hash slot ({acct-sessions}) so the scripts stay valid on Redis Cluster.
const INDEX_KEY = 'acct:{acct-sessions}:index';
/** Passed as a key so the store prefixes it; the scripts append the session id. */
const BASE_KEY = 'acct:{acct-sessions}:s:';

const RECORD_LUA = `
local k = KEYS[2] .. ARGV[3]
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
if not redis.call('HGET', k, 'startedAt') then redis.call('HSET', k, 'startedAt', ARGV[1]) end
redis.call('HSET', k, 'lastAt', ARGV[1], 'userId', ARGV[4], 'userName', ARGV[5], 'keyId', ARGV[6], 'keyName', ARGV[7], 'providerId', ARGV[8], 'providerName', ARGV[9], 'model', ARGV[10])
redis.call('HINCRBY', k, 'requests', 1)
redis.call('HINCRBY', k, 'inputTokens', ARGV[11])
redis.call('HINCRBY', k, 'outputTokens', ARGV[12])
redis.call('HINCRBY', k, 'cacheCreationTokens', ARGV[13])
redis.call('HINCRBY', k, 'cacheReadTokens', ARGV[14])
redis.call('HINCRBY', k, 'costUnits', ARGV[15])
redis.call('PEXPIRE', k, ttl)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

function recordLocal(db: LocalDb, keys: string[], a: string[]): number {
  const k = keys[1]! + a[2]!;
  const now = Number(a[0]);
  const ttl = Number(a[1]);
  if (db.hget(k, 'startedAt') === null) db.hset(k, 'startedAt', a[0]!);
  const fields = ['lastAt', a[0]!, 'userId', a[3]!, 'userName', a[4]!, 'keyId', a[5]!, 'keyName', a[6]!, 'providerId', a[7]!, 'providerName', a[8]!, 'model', a[9]!];
  for (let i = 0; i < fields.length; i += 2) db.hset(k, fields[i]!, fields[i + 1]!);
  db.hincrBy(k, 'requests', 1);
  db.hincrBy(k, 'inputTokens', Number(a[10]));
  db.hincrBy(k, 'outputTokens', Number(a[11]));
  db.hincrBy(k, 'cacheCreationTokens', Number(a[12]));
  db.hincrBy(k, 'cacheReadTokens', Number(a[13]));
  db.hincrBy(k, 'costUnits', Number(a[14]));
  db.pexpire(k, ttl);
  db.zadd(keys[0]!, now, a[2]!);
  db.zremRangeByScore(keys[0]!, -Infinity, now - ttl);
  db.pexpire(keys[0]!, ttl);
  return 1;
}

const LIST_LUA = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], now - ttl, '+inf')
local out = {}
local first = math.max(1, #ids - limit + 1)
for i = #ids, first, -1 do
  local h = redis.call('HGETALL', KEYS[2] .. ids[i])
  if #h > 0 then
    table.insert(h, 1, ids[i])
    out[#out + 1] = h
  end
end
return out
`;

function listLocal(db: LocalDb, keys: string[], a: string[]): string[][] {
  const now = Number(a[0]);
  const ttl = Number(a[1]);
  const limit = Number(a[2]);
  db.zremRangeByScore(keys[0]!, -Infinity, now - ttl);
  const ids = db.zrangeByScore(keys[0]!, now - ttl, Infinity).map((m) => m.member);
  const out: string[][] = [];
  for (let i = ids.length - 1; i >= Math.max(0, ids.length - limit); i--) {
    const h = db.hgetall(keys[1]! + ids[i]!);
    const flat = Object.entries(h).flat();
    if (flat.length) out.push([ids[i]!, ...flat]);
  }
  return out;
}

/** Active sessions in the store, keyed by the exchange's session id, expiring after `ttlMs` of quiet. */
export function createSessionTracker(store: Store, ttlMs: number): SessionTracker {
  const record = store.defineScript<number>({ name: 'acct_session_record', lua: RECORD_LUA, local: recordLocal });
  const list = store.defineScript<string[][]>({ name: 'acct_session_list', lua: LIST_LUA, local: listLocal });
  return {
    async record(ex, costUsd) {
      if (!ex.sessionId) return;
      const u = ex.usage;
      const id = ex.identity;
      await record(
        [INDEX_KEY, BASE_KEY],
        [
          Date.now(),
          ttlMs,
          ex.sessionId,
          id?.userId ?? '',
          id?.userName ?? '',
          id?.keyId ?? '',
          id?.keyName ?? '',
          ex.provider?.id ?? '',
          ex.provider?.name ?? '',
          ex.servedModel ?? ex.model ?? '',
          u?.inputTokens ?? 0,
          u?.outputTokens ?? 0,
          u?.cacheCreationTokens ?? 0,
          u?.cacheReadTokens ?? 0,
          usdToUnits(costUsd).toString(),
        ],
      );
    },
    async list(limit = 500) {
      const rows = await list([INDEX_KEY, BASE_KEY], [Date.now(), ttlMs, limit]);
      return rows.map(toSession);
    },
  };
}

function toSession(flat: string[]): ActiveSession {
  const h: Record<string, string> = {};
  for (let i = 1; i + 1 < flat.length; i += 2) h[flat[i]!] = flat[i + 1]!;
  const int = (k: string) => Number(h[k] ?? 0) || 0;
  const idOrNull = (k: string) => (h[k] ? Number(h[k]) : null);
  const strOrNull = (k: string) => h[k] || null;
  const inputTokens = int('inputTokens');
  const outputTokens = int('outputTokens');
  const cacheCreationTokens = int('cacheCreationTokens');
  const cacheReadTokens = int('cacheReadTokens');
  return {
    sessionId: flat[0]!,
    userId: idOrNull('userId'),
    userName: strOrNull('userName'),
    keyId: idOrNull('keyId'),
    keyName: strOrNull('keyName'),
    providerId: idOrNull('providerId'),
    providerName: strOrNull('providerName'),
    model: strOrNull('model'),
    startedAt: new Date(int('startedAt')).toISOString(),
    lastAt: new Date(int('lastAt')).toISOString(),
    requests: int('requests'),
    inputTokens,
    outputTokens,
    cacheCreationTokens,
    cacheReadTokens,
    totalTokens: inputTokens + outputTokens + cacheCreationTokens + cacheReadTokens,
    costUsd: unitsToUsd(BigInt(h.costUnits ?? '0')),
  };
}
