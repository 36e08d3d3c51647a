import path from 'node:path';
import { parseArgs } from 'node:util';
import { readEnv, type Env } from './config/env.ts';
import { loadConfigFile } from './config/load.ts';
import { resolvePlugins } from './loader.ts';
import { createGateway, type Gateway } from './app.ts';
import { createLogger, type Logger } from './log.ts';
import { CchError } from './errors.ts';
import { openDatabaseFromEnv } from './boot.ts';
import { createKey } from './keys.ts';
import { CORE_VERSION } from './version.ts';
import { formatPluginTree } from './plugin-tree.ts';

const HELP = `cch ${CORE_VERSION} — Claude Code Hub

Usage:
  cch start                          start gateway + console (APP_PORT, default 23000)
  cch migrate                        apply database migrations
  cch config check [file]            validate a YAML file and print the plugin order
  cch plugins                        load the configured plugins; print load order, phases, timings
  cch keys create --user NAME [--name LABEL]   create a hub key (printed once)

Environment: see README (DSN, REDIS_URL, ADMIN_TOKEN, CCH_CONFIG, CCH_DATA_DIR, ...).
`;

/** Run the CLI; resolves with the exit code. */
export async function main(argv: string[], env: Env = readEnv()): Promise<number> {
  const [cmd, ...rest] = argv;
  const logger = createLogger({ level: env.logLevel });
  try {
    switch (cmd) {
      case 'start':
        return await start(env, logger);
      case 'migrate':
        return await migrate(env, logger);
      case 'config':
        if (rest[0] !== 'check') break;
        return await configCheck(rest[1] ? path.resolve(rest[1]) : env.configFile);
      case 'plugins':
        return await plugins(env);
      case 'keys':
        if (rest[0] !== 'create') break;
        return await keysCreate(env, logger, rest.slice(1));
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return 0;
      case '--version':
        process.stdout.write(`${CORE_VERSION}\n`);
        return 0;
    }
    process.stderr.write(`unknown command: ${argv.join(' ')}\n\n${HELP}`);
    return 2;
  } catch (err) {
    if (err instanceof CchError) {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** `bundle` when running from core/dist (compiled, no TypeScript loader), else `source`. */
export const RUNTIME: 'bundle' | 'source' = import.meta.url.endsWith('.ts') ? 'source' : 'bundle';

async function start(env: Env, logger: Logger): Promise<number> {
  const t0 = performance.now();
  const gw = await createGateway({ env, logger });
  const { port } = await gw.listen(env.port);
  logger.info(
    { port, runtime: RUNTIME, db: gw.mode.db, store: gw.mode.store, plugins: gw.plugins.map((p) => p.name), ms: Math.round(performance.now() - t0) },
    `Claude Code Hub listening on http://localhost:${port} (console at /, API docs at /api/docs)`,
  );
  if (env.adminToken === 'change-me') logger.warn('ADMIN_TOKEN is the default "change-me"; set your own before sharing this hub');
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, inflight: gw.inflight.size }, 'shutting down: no new connections, finishing in-flight requests');
      gw.close().then(
        () => {
          logger.info('shutdown complete');
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      gw.reloadConfig().catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : err }, 'configuration reload failed; keeping the previous configuration'));
    });
  });
}

async function migrate(env: Env, logger: Logger): Promise<number> {
  const { db, stopEmbedded } = await openDatabaseFromEnv({ ...env, autoMigrate: false }, logger);
  try {
    const applied = await db.migrate();
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
    return 0;
  } finally {
    await db.close();
    await stopEmbedded?.();
  }
}

async function configCheck(file: string): Promise<number> {
  const loaded = loadConfigFile(file);
  const resolved = await resolvePlugins(loaded.config.plugins, loaded.baseDir);
  const c = loaded.config;
  process.stdout.write(`${file}: OK\n`);
  process.stdout.write(`plugins (load order):\n${resolved.map((p, i) => `  ${i + 1}. ${p.def.name}@${p.def.version} (${p.source === 'builtin' ? 'built-in' : `${p.source} ${p.ref}`})`).join('\n')}\n`);
  process.stdout.write(`providers: ${c.providers?.length ?? 0}, groups: ${c.groups?.length ?? 0}, users: ${c.users?.length ?? 0}\n`);
  return 0;
}

async function plugins(env: Env): Promise<number> {
  const logger = createLogger({ level: 'warn' });
  let gw: Gateway | undefined;
  try {
    gw = await createGateway({ env, logger });
    process.stdout.write(formatPluginTree(gw.plugins, gw.pipeline.list()));
    return 0;
  } finally {
    await gw?.close();
  }
}

async function keysCreate(env: Env, logger: Logger, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { user: { type: 'string' }, name: { type: 'string' } } });
  if (!values.user) {
    process.stderr.write('usage: cch keys create --user NAME [--name LABEL]\n');
    return 2;
  }
  const { db, stopEmbedded } = await openDatabaseFromEnv(env, createLogger({ level: 'warn' }));
  try {
    const created = await createKey(db, values.user, values.name ?? 'default');
    process.stdout.write(`created key "${created.name}" for user "${values.user}" (id ${created.id}).\nThis is the only time it is shown:\n\n  ${created.key}\n\n`);
    logger.info({ user: values.user, keyId: created.id }, 'hub key created');
    return 0;
  } finally {
    await db.close();
    await stopEmbedded?.();
  }
}
