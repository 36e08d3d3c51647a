import path from 'node:path';

/** Process settings from the environment (SPEC §2). */
export interface Env {
  adminToken: string;
  dsn: string | undefined;
  redisUrl: string | undefined;
  port: number;
  autoMigrate: boolean;
  sessionTtlSeconds: number;
  enableRateLimit: boolean;
  secureCookies: boolean;
  apiTestTimeoutMs: number;
  configFile: string;
  dataDir: string;
  secret: string | undefined;
  logLevel: string;
  production: boolean;
  requireRedis: boolean;
}

function bool(v: string | undefined, def: boolean): boolean {
  if (v === undefined || v === '') return def;
  return !/^(0|false|no|off)$/i.test(v.trim());
}

function int(v: string | undefined, def: number): number {
  const n = v === undefined || v === '' ? NaN : Number(v);
  return Number.isFinite(n) ? Math.trunc(n) : def;
}

export function readEnv(e: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Env {
  return {
    adminToken: e.ADMIN_TOKEN || 'change-me',
    dsn: e.DSN || undefined,
    redisUrl: e.REDIS_URL || undefined,
    port: int(e.APP_PORT, 23000),
    autoMigrate: bool(e.AUTO_MIGRATE, true),
    sessionTtlSeconds: Math.max(1, int(e.SESSION_TTL, 300)),
    enableRateLimit: bool(e.ENABLE_RATE_LIMIT, true),
    secureCookies: bool(e.ENABLE_SECURE_COOKIES, true),
    apiTestTimeoutMs: Math.min(120_000, Math.max(5_000, int(e.API_TEST_TIMEOUT_MS, 15_000))),
    configFile: path.resolve(cwd, e.CCH_CONFIG || 'config/gateway.yaml'),
    dataDir: path.resolve(cwd, e.CCH_DATA_DIR || './data'),
    secret: e.CCH_SECRET || undefined,
    logLevel: e.LOG_LEVEL || 'info',
    production: e.NODE_ENV === 'production',
    requireRedis: bool(e.CCH_REQUIRE_REDIS, false),
  };
}
