import crypto from 'node:crypto';
import { createGateway, type Gateway } from '../app.ts';
import { readEnv } from '../config/env.ts';
import { loadConfigFile, parseConfig } from '../config/load.ts';
import { createLogger } from '../log.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { createRedisStore } from '../store/redis.ts';
import { RequestLogEntity, type RequestLogRow } from '../db/entities.ts';

export interface TestGatewayOptions {
  /** Gateway YAML (`${VAR}` interpolated from `env` and the process environment). */
  yaml?: string;
  /** Or a YAML file (then `gw.reloadConfig()` re-reads it, as SIGHUP does). */
  configFile?: string;
  /** Extra environment (SPEC §2 names). */
  env?: Record<string, string>;
  /** `redis` uses REDIS_URL (default redis://127.0.0.1:6379); `memory` the in-process store. Default: redis when REDIS_URL is set. */
  store?: 'redis' | 'memory';
  /** Share a database (and store prefix) with another test gateway: two instances of one hub. */
  shareWith?: TestGateway;
  /** Folder relative plugin paths resolve against. */
  baseDir?: string;
}

export interface TestGateway {
  gw: Gateway;
  url: string;
  database: TestDatabase;
  storePrefix: string;
  /** Close the gateway; drop its database unless shared and still in use. */
  close(): Promise<void>;
}

export const TEST_ADMIN_TOKEN = 'test-admin-token';

/**
 * A real gateway on a free port, with its own PostgreSQL database and store key prefix.
 * Logs are silent unless CCH_TEST_LOG names a level.
 */
export async function createTestGateway(opts: TestGatewayOptions): Promise<TestGateway> {
  const database = opts.shareWith?.database ?? (await createTestDatabase());
  const storePrefix = opts.shareWith?.storePrefix ?? `cch-test-${crypto.randomBytes(4).toString('hex')}:`;
  const useRedis = opts.store ? opts.store === 'redis' : Boolean(process.env.REDIS_URL);
  const rawEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DSN: database.dsn,
    REDIS_URL: useRedis ? (process.env.REDIS_URL ?? 'redis://127.0.0.1:6379') : '',
    CCH_SECRET: 'test-secret-0123456789abcdef0123456789',
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ENABLE_SECURE_COOKIES: 'false',
    APP_PORT: '0',
    ...opts.env,
  };
  const env = readEnv(rawEnv);
  const logger = createLogger({ level: process.env.CCH_TEST_LOG ?? 'silent' });
  const config = opts.configFile ? loadConfigFile(opts.configFile, rawEnv) : parseConfig(opts.yaml ?? 'plugins: []', { env: rawEnv });
  if (opts.baseDir) config.baseDir = opts.baseDir;
  let gw: Gateway;
  try {
    gw = await createGateway({ env, config, logger, storePrefix });
  } catch (err) {
    if (!opts.shareWith) await database.drop().catch(() => {});
    throw err;
  }
  const { url } = await gw.listen(0, '127.0.0.1');
  return {
    gw,
    url,
    database,
    storePrefix,
    async close() {
      await gw.close();
      if (opts.shareWith) return;
      await database.drop().catch(() => {});
      if (useRedis) await clearRedisPrefix(rawEnv.REDIS_URL!, storePrefix);
    },
  };
}

async function clearRedisPrefix(url: string, prefix: string): Promise<void> {
  const store = await createRedisStore({ url, prefix }).catch(() => undefined);
  if (!store) return;
  try {
    const keys = await store.scan('*', 100_000);
    for (let i = 0; i < keys.length; i += 500) await store.del(...keys.slice(i, i + 500));
  } finally {
    await store.close();
  }
}

/** The request-log row of a request, once the accounting plugin has written it (polls up to 5 s). */
export async function waitForRequestLog(t: TestGateway, requestId: string): Promise<RequestLogRow> {
  for (let i = 0; i < 200; i++) {
    const row = await t.gw.db.em().findOne(RequestLogEntity, { requestId });
    if (row) return row;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no request-log row for ${requestId}`);
}

/** A hub key of the documented shape (`hub_sk_` + 40 base62 characters), distinct per tag and `n`. */
export function testHubKey(tag: string, n = 1): string {
  return `hub_sk_${tag}${String(n).padStart(40 - tag.length, '0')}`;
}
