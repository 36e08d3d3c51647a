/**
 * The cluster on disk: where it lives (possibly relocated, see the pointer file), checking an
 * existing one, initdb for a new one, and our bookkeeping file.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathProblem, rootBase } from './access.ts';
import { isAlive, run } from './process.ts';
import { SUPERUSER, errText, sha, tail, type Binaries, type EmbeddedPostgresLogger, type Ids, type Meta } from './shared.ts';

const META_FILE = 'cch-embedded.json';
const POINTER_FILE = 'cch-embedded-pointer.json';

/** The PGDATA for `dataDir`; `relocated` when it lives in a root-owned place named by a pointer file. */
export function locateCluster(
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

/** Validate an existing cluster (version, meta, owner, mode) and return its meta. */
export function checkExistingCluster(pgdata: string, bins: Binaries, ids: Ids | undefined, log: EmbeddedPostgresLogger): Meta {
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

/** Create a new cluster with a random superuser password; returns its meta. */
export async function initCluster(pgdata: string, bins: Binaries, ids: Ids | undefined, log: EmbeddedPostgresLogger): Promise<Meta> {
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

/** Atomically replace the cluster's bookkeeping file (mode 0600: it holds the password). */
export function writeMeta(pgdata: string, meta: Meta): void {
  const file = path.join(pgdata, META_FILE);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(meta, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}
