/**
 * The key-value / counter store shared by plugins: sessions, limits, breaker state, caches.
 * Two implementations — Redis (shared across instances) and in-process memory (single node) —
 * pass one conformance suite (`testing/store-conformance.ts`).
 *
 * Keys are logical; each store applies its own prefix. Times are milliseconds.
 * Atomic multi-key operations are *scripts*: a plugin defines one with a Lua body for Redis and
 * an equivalent JavaScript body over {@link LocalDb} for the memory store, and both run atomically.
 */
export interface Store {
  readonly kind: 'memory' | 'redis';
  /**
   * True on a Redis Cluster: one script call may then only touch keys of one hash slot. On a
   * single node (or the memory store) a script may touch any keys.
   */
  readonly clustered?: boolean;
  get(key: string): Promise<string | null>;
  /** Set a value; with `nx`, only if absent (returns false when it existed). */
  set(key: string, value: string, opts?: { ttlMs?: number; nx?: boolean }): Promise<boolean>;
  del(...keys: string[]): Promise<number>;
  /** Add to an integer counter (created at 0); sets the TTL when given. Returns the new value. */
  incrBy(key: string, amount: number, ttlMs?: number): Promise<number>;
  /** Remaining TTL in ms; -1 when the key has none, -2 when it does not exist. */
  pttl(key: string): Promise<number>;
  expire(key: string, ttlMs: number): Promise<boolean>;
  hset(key: string, fields: Record<string, string | number>, ttlMs?: number): Promise<void>;
  hgetall(key: string): Promise<Record<string, string>>;
  /** Keys matching a glob pattern (logical, without prefix). For admin read-outs, not the hot path. */
  scan(pattern: string, limit?: number): Promise<string[]>;
  /** Define an atomic script once (at setup); call the returned function per use. */
  defineScript<R = unknown>(def: ScriptDefinition): ScriptRunner<R>;
  publish(channel: string, message: string): Promise<void>;
  /** Subscribe; resolves once subscribed. The returned function unsubscribes. */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  /** True when the backend answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Runs a defined script: `keys` are logical keys, `args` its arguments. */
export type ScriptRunner<R> = (keys: string[], args: (string | number)[]) => Promise<R>;

export interface ScriptDefinition {
  /** Unique name (becomes an ioredis command). */
  name: string;
  /**
   * Lua body for Redis. Gets KEYS (already prefixed) and ARGV. Return integers, strings, or
   * (nested) tables of them — Redis converts floats to integers, so return fractional numbers
   * as strings.
   */
  lua: string;
  /**
   * The same logic over the memory store, run synchronously (hence atomically).
   * Must return what the Lua body returns, as Redis would deliver it to the client:
   * integers as numbers, strings as strings, tables as arrays, nil as null.
   */
  local: (db: LocalDb, keys: string[], args: string[]) => unknown;
}

/**
 * The synchronous Redis subset a script's `local` body may use. Semantics follow Redis:
 * missing keys read as empty, TTLs are in ms, sorted-set scores are numbers.
 */
export interface LocalDb {
  now(): number;
  get(key: string): string | null;
  set(key: string, value: string, ttlMs?: number): void;
  del(key: string): number;
  exists(key: string): boolean;
  incrBy(key: string, amount: number): number;
  incrByFloat(key: string, amount: number): number;
  pexpire(key: string, ttlMs: number): boolean;
  pttl(key: string): number;
  hget(key: string, field: string): string | null;
  hset(key: string, field: string, value: string): void;
  hdel(key: string, field: string): number;
  hincrBy(key: string, field: string, amount: number): number;
  hincrByFloat(key: string, field: string, amount: number): number;
  hgetall(key: string): Record<string, string>;
  zadd(key: string, score: number, member: string): void;
  zrem(key: string, member: string): number;
  zscore(key: string, member: string): number | null;
  zcard(key: string): number;
  /** Count members with min ≤ score ≤ max. */
  zcount(key: string, min: number, max: number): number;
  /** Members with min ≤ score ≤ max, ascending, with scores. */
  zrangeByScore(key: string, min: number, max: number): { member: string; score: number }[];
  zremRangeByScore(key: string, min: number, max: number): number;
}

/** Injectable clock: tests move time instead of sleeping. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
