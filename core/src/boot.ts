import path from 'node:path';
import type { Env } from './config/env.ts';
import type { Logger } from './log.ts';
import type { Store } from './store/types.ts';
import { createMemoryStore, createRedisStore } from './store/index.ts';
import { openDatabase, type Database } from './db/database.ts';
import { startEmbeddedPostgres } from './db/embedded/index.ts';
import { errors } from './errors.ts';
import { loadOrCreateSecret } from './secrets.ts';

export interface Resources {
  db: Database;
  store: Store;
  secret: string;
  mode: { db: 'embedded' | 'external'; store: 'memory' | 'redis' };
  /** Stops what boot started (embedded PostgreSQL). */
  stopEmbedded?: () => Promise<void>;
}

/**
 * Open PostgreSQL (external by DSN, or embedded in the data dir) and the store (Redis by URL, or
 * in-process memory), loudly naming single-node mode.
 */
export async function bootResources(env: Env, logger: Logger, storePrefix: string): Promise<Resources> {
  let secret = env.secret;
  if (!secret) {
    if (env.dsn) throw errors.secretMissing();
    secret = loadOrCreateSecret(env.dataDir);
  }
  const { db, stopEmbedded } = await openDatabaseFromEnv(env, logger);
  let store: Store;
  if (env.redisUrl) {
    try {
      store = await createRedisStore({ url: env.redisUrl, prefix: storePrefix, logger });
    } catch (err) {
      await db.close();
      await stopEmbedded?.();
      throw errors.storeUnavailable(`${redact(env.redisUrl)}: ${(err as Error).message}`);
    }
  } else {
    logger.warn('SINGLE-NODE MODE: no REDIS_URL set, using the in-process memory store (limits, sessions and breaker state are per process)');
    store = createMemoryStore({ prefix: storePrefix });
  }
  return { db, store, secret, mode: { db: env.dsn ? 'external' : 'embedded', store: env.redisUrl ? 'redis' : 'memory' }, stopEmbedded };
}

/** A URL without its password, for logs and errors. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** PostgreSQL only (for `cch migrate` and `cch keys`): external by DSN or embedded, migrated per AUTO_MIGRATE. */
export async function openDatabaseFromEnv(env: Env, logger: Logger, forceMigrate = false): Promise<{ db: Database; stopEmbedded?: () => Promise<void> }> {
  let dsn = env.dsn;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!dsn) {
    logger.warn({ dataDir: path.join(env.dataDir, 'pg') }, 'SINGLE-NODE MODE: no DSN set, starting embedded PostgreSQL');
    const pg = await startEmbeddedPostgres({ dataDir: path.join(env.dataDir, 'pg'), logger });
    dsn = pg.dsn;
    stopEmbedded = pg.stop;
  }
  let db: Database | undefined;
  try {
    db = await openDatabase({ dsn, logger });
    if (!(await db.ping())) throw new Error(`cannot reach ${redact(dsn)}`);
    if (env.autoMigrate || forceMigrate) {
      const applied = await db.migrate();
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    return { db, stopEmbedded };
  } catch (err) {
    await db?.close().catch(() => {});
    await stopEmbedded?.();
    throw errors.dbUnavailable((err as Error).message);
  }
}
