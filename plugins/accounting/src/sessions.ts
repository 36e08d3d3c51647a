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
  /**
   * Count a settled exchange that has a session id. Updates are merged per session in memory and
   * written in one store call per flush (every {@link FLUSH_MS}), not one per request.
   */
  record(ex: SettledExchange, costUsd: string): void;
  /** Most recently active first (this instance's pending updates included). */
  list(limit?: number): Promise<ActiveSession[]>;
  /** Write pending updates now. */
  flush(): Promise<void>;
  /** Flush and stop the timer. */
  close(): Promise<void>;
}

/** How long session updates are merged in memory before they are written. */
export const FLUSH_MS = 250;

// One hash slot ({acct-sessions}) so the scripts stay valid on Redis Cluster.
const INDEX_KEY = 'acct:{acct-sessions}:index';
/** Passed as a key so the store prefixes it; the scripts append the session id. */
const BASE_KEY = 'acct:{acct-sessions}:s:';

/** Values per session in the record script's ARGV, after now and ttl. */
const PER_SESSION = 15;

/**
 * ARGV: now, ttl, then per session: id, first seen, last seen, userId, userName, keyId, keyName,
 * providerId, providerName, model, requests, input, output, cache creation, cache read tokens,
 * cost units (16 values).
 */
const RECORD_LUA = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
for i = 3, #ARGV, 16 do
  local id = ARGV[i]
  local k = KEYS[2] .. id
  redis.call('HSETNX', k, 'startedAt', ARGV[i + 1])
  redis.call('HSET', k, 'lastAt', ARGV[i + 2], 'userId', ARGV[i + 3], 'userName', ARGV[i + 4], 'keyId', ARGV[i + 5], 'keyName', ARGV[i + 6], 'providerId', ARGV[i + 7], 'providerName', ARGV[i + 8], 'model', ARGV[i + 9])
  redis.call('HINCRBY', k, 'requests', ARGV[i + 10])
  redis.call('HINCRBY', k, 'inputTokens', ARGV[i + 11])
  redis.call('HINCRBY', k, 'outputTokens', ARGV[i + 12])
  redis.call('HINCRBY', k, 'cacheCreationTokens', ARGV[i + 13])
  redis.call('HINCRBY', k, 'cacheReadTokens', ARGV[i + 14])
  redis.call('HINCRBY', k, 'costUnits', ARGV[i + 15])
  redis.call('PEXPIRE', k, ttl)
  redis.call('ZADD', KEYS[1], tonumber(ARGV[i + 2]), id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

function recordLocal(db: LocalDb, keys: string[], a: string[]): number {
  const now = Number(a[0]);
  const ttl = Number(a[1]);
  for (let i = 2; i + PER_SESSION < a.length; i += PER_SESSION + 1) {
    const id = a[i]!;
    const k = keys[1]! + id;
    if (db.hget(k, 'startedAt') === null) db.hset(k, 'startedAt', a[i + 1]!);
    const fields = ['lastAt', 'userId', 'userName', 'keyId', 'keyName', 'providerId', 'providerName', 'model'];
    fields.forEach((f, j) => db.hset(k, f, a[i + 2 + j]!));
    ['requests', 'inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens', 'costUnits'].forEach((f, j) => db.hincrBy(k, f, Number(a[i + 10 + j])));
    db.pexpire(k, ttl);
    db.zadd(keys[0]!, Number(a[i + 2]), id);
  }
  db.zremRangeByScore(keys[0]!, -Infinity, now - ttl);
  db.pexpire(keys[0]!, ttl);
  return 1;
}

/** One session's updates since the last flush. */
interface Pending {
  firstAt: number;
  lastAt: number;
  who: (string | number)[];
  requests: number;
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
  costUnits: bigint;
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
export function createSessionTracker(store: Store, ttlMs: number, onError: (err: unknown) => void = () => {}): SessionTracker {
  const record = store.defineScript<number>({ name: 'acct_session_record2', lua: RECORD_LUA, local: recordLocal });
  const list = store.defineScript<string[][]>({ name: 'acct_session_list', lua: LIST_LUA, local: listLocal });
  let pending = new Map<string, Pending>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.size === 0) return writing;
    const batch = pending;
    pending = new Map();
    const args: (string | number)[] = [Date.now(), ttlMs];
    for (const [id, p] of batch) {
      args.push(id, p.firstAt, p.lastAt, ...p.who, p.requests, p.input, p.output, p.cacheCreation, p.cacheRead, p.costUnits.toString());
    }
    // Writes stay in order, so a session's counters never go backwards.
    writing = writing.then(() => record([INDEX_KEY, BASE_KEY], args).then(() => undefined, onError));
    return writing;
  }

  return {
    record(ex, costUsd) {
      if (!ex.sessionId) return;
      const u = ex.usage;
      const id = ex.identity;
      const now = Date.now();
      let p = pending.get(ex.sessionId);
      if (!p) {
        p = { firstAt: now, lastAt: now, who: [], requests: 0, input: 0, output: 0, cacheCreation: 0, cacheRead: 0, costUnits: 0n };
        pending.set(ex.sessionId, p);
      }
      p.lastAt = now;
      p.who = [id?.userId ?? '', id?.userName ?? '', id?.keyId ?? '', id?.keyName ?? '', ex.provider?.id ?? '', ex.provider?.name ?? '', ex.servedModel ?? ex.model ?? ''];
      p.requests++;
      p.input += u?.inputTokens ?? 0;
      p.output += u?.outputTokens ?? 0;
      p.cacheCreation += u?.cacheCreationTokens ?? 0;
      p.cacheRead += u?.cacheReadTokens ?? 0;
      p.costUnits += usdToUnits(costUsd);
      timer ??= setTimeout(() => void flush(), FLUSH_MS);
    },
    async list(limit = 500) {
      await flush();
      const rows = await list([INDEX_KEY, BASE_KEY], [Date.now(), ttlMs, limit]);
      return rows.map(toSession);
    },
    flush,
    close: flush,
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
