import { systemClock } from './types.ts';
import type { Clock, LocalDb, ScriptDefinition, ScriptRunner, Store } from './types.ts';

/** Options for {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Time source for expiries; tests inject a manual clock instead of sleeping. */
  clock?: Clock;
  /** Prepended to every key, so script bodies see the same key shape as under Redis. */
  prefix?: string;
}

type Entry =
  | { type: 'string'; value: string; expiresAt?: number }
  | { type: 'hash'; value: Map<string, string>; expiresAt?: number }
  | { type: 'zset'; value: Map<string, number>; expiresAt?: number };

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
const NOT_INTEGER = 'ERR value is not an integer or out of range';
const NOT_FLOAT = 'ERR value is not a valid float';
const HASH_NOT_INTEGER = 'ERR hash value is not an integer';
const HASH_NOT_FLOAT = 'ERR hash value is not a float';
const SWEEP_INTERVAL_MS = 60_000;
const DEFAULT_SCAN_LIMIT = 1000;

/**
 * Store-level TTLs: Redis rejects `PX 0` and fractional values, so round up to a whole,
 * positive millisecond — a tiny TTL then means "expire almost at once" on both stores.
 */
function storeTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs)) throw new RangeError(`invalid TTL: ${ttlMs}`);
  return Math.max(1, Math.ceil(ttlMs));
}

function parseInteger(s: string, message: string): number {
  // Redis only accepts canonical base-10 integers (no spaces, no "+", no decimals).
  if (!/^-?\d+$/.test(s)) throw new Error(message);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(message);
  return n;
}

function parseFloatStrict(s: string, message: string): number {
  const n = s.trim() === s && s !== '' ? Number(s) : NaN;
  if (!Number.isFinite(n)) throw new Error(message);
  return n;
}

function checkIntegerAmount(amount: number): void {
  if (!Number.isSafeInteger(amount)) throw new Error(NOT_INTEGER);
}

/** Converts a Redis glob (`*`, `?`, `[abc]`, `[^a-z]`, `\x`) to an anchored RegExp. */
function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[\\s\\S]*';
    else if (c === '?') re += '[\\s\\S]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRegExp(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRegExp(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * Shapes a `local` script result the way Redis converts a Lua value to a reply, so callers
 * see identical results on both stores (numbers truncate to integers, false becomes nil).
 */
function toRedisReply(v: unknown, script: string): unknown {
  if (v === null || v === undefined || v === false) return null;
  if (v === true) return 1;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x) => toRedisReply(x, script));
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if (typeof o.err === 'string') throw new Error(o.err);
    if (typeof o.ok === 'string') return o.ok;
  }
  // Redis would silently turn a map-like table into an empty array; fail loudly instead so
  // the mismatch is caught in tests rather than in production.
  throw new TypeError(`script ${script}: local body returned a value Redis cannot represent`);
}

/**
 * Creates an in-process store: a mini-Redis with strings, hashes and sorted sets, lazy expiry
 * against the injected clock, synchronous (hence atomic) scripts and in-process pub/sub.
 * Suitable for a single gateway instance and for tests.
 */
export function createMemoryStore(opts: MemoryStoreOptions = {}): Store {
  const clock = opts.clock ?? systemClock;
  const prefix = opts.prefix ?? '';
  const data = new Map<string, Entry>();
  const channels = new Map<string, Set<{ handler: (message: string) => void }>>();
  const scripts = new Map<string, string>();
  let closed = false;

  // Lazy expiry alone would keep never-read keys forever.
  const sweep = setInterval(() => {
    const now = clock.now();
    for (const [k, e] of data) if (e.expiresAt !== undefined && e.expiresAt <= now) data.delete(k);
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  function lookup(key: string): Entry | undefined {
    const e = data.get(key);
    if (e && e.expiresAt !== undefined && e.expiresAt <= clock.now()) {
      data.delete(key);
      return undefined;
    }
    return e;
  }

  function stringEntry(key: string): Extract<Entry, { type: 'string' }> | undefined {
    const e = lookup(key);
    if (e && e.type !== 'string') throw new Error(WRONGTYPE);
    return e;
  }

  function hashEntry(key: string, create: boolean): Extract<Entry, { type: 'hash' }> | undefined {
    const e = lookup(key);
    if (e) {
      if (e.type !== 'hash') throw new Error(WRONGTYPE);
      return e;
    }
    if (!create) return undefined;
    const fresh: Entry = { type: 'hash', value: new Map() };
    data.set(key, fresh);
    return fresh;
  }

  function zsetEntry(key: string, create: boolean): Extract<Entry, { type: 'zset' }> | undefined {
    const e = lookup(key);
    if (e) {
      if (e.type !== 'zset') throw new Error(WRONGTYPE);
      return e;
    }
    if (!create) return undefined;
    const fresh: Entry = { type: 'zset', value: new Map() };
    data.set(key, fresh);
    return fresh;
  }

  /** Sorted ascending by score, ties by member — Redis order. */
  function zrange(key: string, min: number, max: number): { member: string; score: number }[] {
    const e = zsetEntry(key, false);
    if (!e) return [];
    const out: { member: string; score: number }[] = [];
    for (const [member, score] of e.value) if (score >= min && score <= max) out.push({ member, score });
    return out.sort((a, b) => a.score - b.score || (a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  }

  function incrString(key: string, amount: number, float: boolean): number {
    const e = stringEntry(key);
    const cur = e ? (float ? parseFloatStrict(e.value, NOT_FLOAT) : parseInteger(e.value, NOT_INTEGER)) : 0;
    const next = cur + amount;
    if (float ? !Number.isFinite(next) : !Number.isSafeInteger(next)) {
      throw new Error(float ? 'ERR increment would produce NaN or Infinity' : NOT_INTEGER);
    }
    // INCRBY keeps an existing TTL.
    if (e) e.value = String(next);
    else data.set(key, { type: 'string', value: String(next) });
    return next;
  }

  function hincr(key: string, field: string, amount: number, float: boolean): number {
    const e = hashEntry(key, true)!;
    const raw = e.value.get(field);
    const cur =
      raw === undefined ? 0 : float ? parseFloatStrict(raw, HASH_NOT_FLOAT) : parseInteger(raw, HASH_NOT_INTEGER);
    const next = cur + amount;
    if (float ? !Number.isFinite(next) : !Number.isSafeInteger(next)) {
      throw new Error(float ? 'ERR increment would produce NaN or Infinity' : NOT_INTEGER);
    }
    e.value.set(field, String(next));
    return next;
  }

  /** Operates on full (prefixed) keys, like Lua KEYS under Redis. */
  const db: LocalDb = {
    now: () => clock.now(),
    get(key) {
      return stringEntry(key)?.value ?? null;
    },
    set(key, value, ttlMs) {
      // SET replaces any type and drops a previous TTL.
      data.set(key, {
        type: 'string',
        value: String(value),
        expiresAt: ttlMs === undefined ? undefined : clock.now() + storeTtl(ttlMs),
      });
    },
    del(key) {
      return lookup(key) ? (data.delete(key), 1) : 0;
    },
    exists(key) {
      return lookup(key) !== undefined;
    },
    incrBy(key, amount) {
      checkIntegerAmount(amount);
      return incrString(key, amount, false);
    },
    incrByFloat(key, amount) {
      return incrString(key, amount, true);
    },
    pexpire(key, ttlMs) {
      const e = lookup(key);
      if (!e) return false;
      // Like Redis, a non-positive TTL deletes the key at once.
      if (ttlMs <= 0) data.delete(key);
      else e.expiresAt = clock.now() + Math.ceil(ttlMs);
      return true;
    },
    pttl(key) {
      const e = lookup(key);
      if (!e) return -2;
      if (e.expiresAt === undefined) return -1;
      return Math.max(0, Math.ceil(e.expiresAt - clock.now()));
    },
    hget(key, field) {
      return hashEntry(key, false)?.value.get(field) ?? null;
    },
    hset(key, field, value) {
      hashEntry(key, true)!.value.set(field, String(value));
    },
    hdel(key, field) {
      const e = hashEntry(key, false);
      if (!e || !e.value.delete(field)) return 0;
      // Redis removes a hash once its last field is gone.
      if (e.value.size === 0) data.delete(key);
      return 1;
    },
    hincrBy(key, field, amount) {
      checkIntegerAmount(amount);
      return hincr(key, field, amount, false);
    },
    hincrByFloat(key, field, amount) {
      return hincr(key, field, amount, true);
    },
    hgetall(key) {
      const e = hashEntry(key, false);
      return e ? Object.fromEntries(e.value) : {};
    },
    zadd(key, score, member) {
      if (Number.isNaN(score)) throw new Error(NOT_FLOAT);
      zsetEntry(key, true)!.value.set(String(member), score);
    },
    zrem(key, member) {
      const e = zsetEntry(key, false);
      if (!e || !e.value.delete(String(member))) return 0;
      if (e.value.size === 0) data.delete(key);
      return 1;
    },
    zscore(key, member) {
      return zsetEntry(key, false)?.value.get(String(member)) ?? null;
    },
    zcard(key) {
      return zsetEntry(key, false)?.value.size ?? 0;
    },
    zcount(key, min, max) {
      const e = zsetEntry(key, false);
      if (!e) return 0;
      let n = 0;
      for (const score of e.value.values()) if (score >= min && score <= max) n++;
      return n;
    },
    zrangeByScore(key, min, max) {
      return zrange(key, min, max);
    },
    zremRangeByScore(key, min, max) {
      const e = zsetEntry(key, false);
      if (!e) return 0;
      let n = 0;
      for (const [member, score] of e.value) {
        if (score >= min && score <= max) {
          e.value.delete(member);
          n++;
        }
      }
      if (e.value.size === 0) data.delete(key);
      return n;
    },
  };

  /**
   * Wraps a synchronous operation as a promise, so errors surface as rejections exactly
   * like Redis command errors do.
   */
  function run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve) => {
      if (closed) throw new Error('Store is closed');
      resolve(fn());
    });
  }

  const k = (key: string): string => prefix + key;

  return {
    kind: 'memory',

    get: (key) => run(() => db.get(k(key))),

    set: (key, value, o = {}) =>
      run(() => {
        if (o.nx && lookup(k(key))) return false;
        db.set(k(key), value, o.ttlMs === undefined ? undefined : storeTtl(o.ttlMs));
        return true;
      }),

    del: (...keys) => run(() => keys.reduce((n, key) => n + db.del(k(key)), 0)),

    incrBy: (key, amount, ttlMs) =>
      run(() => {
        const ttl = ttlMs === undefined ? undefined : storeTtl(ttlMs);
        const v = db.incrBy(k(key), amount);
        if (ttl !== undefined) db.pexpire(k(key), ttl);
        return v;
      }),

    pttl: (key) => run(() => db.pttl(k(key))),

    expire: (key, ttlMs) => run(() => db.pexpire(k(key), storeTtl(ttlMs))),

    hset: (key, fields, ttlMs) =>
      run(() => {
        const ttl = ttlMs === undefined ? undefined : storeTtl(ttlMs);
        // Check the type first so a WRONGTYPE error leaves nothing half-written.
        hashEntry(k(key), false);
        for (const [f, v] of Object.entries(fields)) db.hset(k(key), f, String(v));
        if (ttl !== undefined) db.pexpire(k(key), ttl);
      }),

    hgetall: (key) => run(() => db.hgetall(k(key))),

    scan: (pattern, limit = DEFAULT_SCAN_LIMIT) =>
      run(() => {
        const re = globToRegExp(pattern);
        const out: string[] = [];
        // Deleting the current entry (lazy expiry) while iterating a Map is safe.
        for (const full of data.keys()) {
          if (out.length >= limit) break;
          if (!full.startsWith(prefix) || !lookup(full)) continue;
          const logical = full.slice(prefix.length);
          if (re.test(logical)) out.push(logical);
        }
        return out;
      }),

    defineScript<R = unknown>(def: ScriptDefinition): ScriptRunner<R> {
      const known = scripts.get(def.name);
      if (known !== undefined && known !== def.lua) {
        throw new Error(`script ${def.name} is already defined with a different body`);
      }
      scripts.set(def.name, def.lua);
      return (keys, args) =>
        run(
          () =>
            toRedisReply(
              def.local(
                db,
                keys.map(k),
                args.map((a) => String(a)),
              ),
              def.name,
            ) as R,
        );
    },

    publish: (channel, message) =>
      run(() => {
        const subs = channels.get(channel);
        if (!subs) return;
        for (const sub of [...subs]) {
          // Asynchronous like a real broker; a throwing subscriber must not break publish.
          queueMicrotask(() => {
            if (!subs.has(sub)) return;
            try {
              sub.handler(message);
            } catch {
              /* subscriber errors are the subscriber's problem */
            }
          });
        }
      }),

    subscribe: (channel, handler) =>
      run(() => {
        const sub = { handler };
        let subs = channels.get(channel);
        if (!subs) channels.set(channel, (subs = new Set()));
        subs.add(sub);
        return async () => {
          subs.delete(sub);
          if (subs.size === 0 && channels.get(channel) === subs) channels.delete(channel);
        };
      }),

    ping: async () => !closed,

    close: async () => {
      closed = true;
      clearInterval(sweep);
      channels.clear();
    },
  };
}
