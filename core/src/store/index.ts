/** The shared key-value store: interface plus Redis and in-memory implementations. */
export type { Clock, LocalDb, ScriptDefinition, ScriptRunner, Store } from './types.ts';
export { systemClock } from './types.ts';
export { createMemoryStore } from './memory.ts';
export type { MemoryStoreOptions } from './memory.ts';
export { createRedisStore } from './redis.ts';
export type { RedisStoreOptions } from './redis.ts';
