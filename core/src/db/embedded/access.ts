/** Running as root: the `postgres` OS user, whether it can reach a path, and root-owned directories. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SUPERUSER, errText, exe, type EmbeddedPostgresLogger, type Ids } from './shared.ts';

const execFileAsync = promisify(execFile);

/**
 * Root-owned homes for relocated binaries and clusters. /var/lib first because systemd-tmpfiles
 * ages out /var/tmp, which is tolerable for a binary cache but not for a database.
 */
const ROOT_BASES = ['/var/lib/cch-embedded-pg', '/var/tmp/cch-embedded-pg'];

/** The uid/gid of the `postgres` OS user, creating the user if it does not exist. */
export async function ensurePostgresUser(log: EmbeddedPostgresLogger): Promise<Ids> {
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
export function pathProblem(dir: string, ids: Ids): string | undefined {
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
export function treeProblem(nativeDir: string, ids: Ids): string | undefined {
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
export function rootBase(): string {
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

/** Throws unless `dir` is a directory owned by root and not writable by group/others. */
export function assertRootOwned(dir: string): void {
  const st = fs.lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory (refusing to use it)`);
  if (st.uid !== 0) throw new Error(`${dir} is owned by uid ${st.uid}, not root (refusing to use it)`);
  if (st.mode & 0o022) {
    throw new Error(`${dir} is writable by group/others (mode ${(st.mode & 0o7777).toString(8)}; refusing to use it)`);
  }
}
