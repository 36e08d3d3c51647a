import path from 'node:path';
import fs from 'node:fs';
import net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'chai';
import { createTestDatabase, type TestDatabase } from '../src/testing/database.ts';
import { bundleState } from '../bin/bundle-state.js';

const REPO = path.resolve(import.meta.dirname, '../..');
const CCH = path.join(REPO, 'core/bin/cch.js');
/** What core/bin/cch.js runs: the bundle when it is newer than every source file. */
const bundleIsFresh = () => bundleState() === 'fresh';

function run(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CCH, ...args], { cwd: REPO, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cch ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

describe('cch command line', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  const secret = 'cli-test-secret-0123456789abcdef';
  before(async () => {
    fs.mkdirSync(path.join(REPO, '.cch-test'), { recursive: true });
    db = await createTestDatabase('cli');
  });
  after(async () => {
    await db?.drop();
  });

  it('config check validates a file and prints the plugin order', async () => {
    const r = await run(['config', 'check', 'config/gateway.yaml'], {});
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('OK');
    expect(r.stdout).to.match(/1\. auth@/);
  });

  it('loads a TypeScript plugin given by path, from the bundle as from source', async () => {
    const dir = fs.mkdtempSync(path.join(REPO, '.cch-test', 'cli-'));
    const file = path.join(dir, 'tag.yaml');
    fs.writeFileSync(file, `plugins:\n  - name: auth\n  - path: ${path.join(REPO, 'examples/plugins/request-tag')}\n    options: { tag: t1 }\n  - name: provider-claude\n`);
    try {
      for (const env of [{}, { CCH_FROM_SOURCE: '1' }] as Record<string, string>[]) {
        const r = await run(['config', 'check', file], env);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/request-tag@0\.1\.0/);
        // Without CCH_FROM_SOURCE a current bundle is what ran (CI: always, after npm ci).
        if (!env.CCH_FROM_SOURCE && (bundleIsFresh() || process.env.CI)) expect(r.stderr).not.to.include('running from source');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('config check fails with the YAML path of a bad value', async () => {
    const dir = fs.mkdtempSync(path.join(REPO, '.cch-test', 'cli-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'plugins:\n  - name: auth\n  - name: accounting\n    options: { batchSize: 0 }\n');
    const r = await run(['config', 'check', file], {});
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('plugins[1].options.batchSize: must be ≥ 1');
  });

  it('migrate, keys create and plugins work against a database', async () => {
    const env = { DSN: db.dsn, CCH_SECRET: secret, REDIS_URL: '' };
    const m = await run(['migrate'], env);
    expect(m.code, m.stderr).to.equal(0);
    expect(m.stdout).to.match(/applied|up to date/);
    const p = await run(['plugins'], env);
    expect(p.code, p.stderr).to.equal(0);
    expect(p.stdout).to.match(/plugins \(load order\)\n├─ auth@0\.1\.0 \(built-in\) [\d.]+ ms — phases: authenticate/);
    expect(p.stdout).to.match(/authenticate +auth/);
    const k = await run(['keys', 'create', '--user', 'me', '--name', 'laptop'], env);
    expect(k.code, k.stderr).to.equal(0);
    expect(k.stdout).to.match(/hub_sk_[0-9A-Za-z]{40}\b/);
    const again = await run(['keys', 'create', '--user', 'me', '--name', 'laptop'], env);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.include('CCH_ERR_KEY_EXISTS');
    const nouser = await run(['keys', 'create', '--user', 'nobody'], env);
    expect(nouser.code).to.equal(1);
    expect(nouser.stderr).to.include('no user named "nobody"');
  });

  it('refuses ADMIN_TOKEN=change-me in production', async () => {
    const r = await run(['start'], { NODE_ENV: 'production', ADMIN_TOKEN: 'change-me', DSN: db.dsn, CCH_SECRET: secret });
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include('CCH_ERR_ADMIN_TOKEN_INSECURE');
  });

  it('`cch start` with no DSN and no REDIS_URL serves /healthz and the console from embedded PostgreSQL, and stops on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(REPO, '.cch-test', 'start-'));
    const port = await freePort();
    const t0 = Date.now();
    const child: ChildProcess = spawn(process.execPath, [CCH, 'start'], {
      cwd: REPO,
      env: { ...process.env, DSN: '', REDIS_URL: '', CCH_SECRET: '', CCH_DATA_DIR: dataDir, APP_PORT: String(port), LOG_LEVEL: 'info' },
    });
    let log = '';
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    try {
      let up = false;
      while (!up && Date.now() - t0 < 30_000) {
        up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 200));
      }
      expect(up, log).to.equal(true);
      expect(log).to.include('SINGLE-NODE MODE');
      // After `npm ci` (CI) the compiled bundle is what runs; after editing sources, the sources.
      expect(log).to.include(`"runtime":"${bundleIsFresh() ? 'bundle' : 'source'}"`);
      if (process.env.CI) expect(log, 'CI installs with npm ci, which builds core/dist').to.include('"runtime":"bundle"');
      const page = await fetch(`http://127.0.0.1:${port}/`);
      expect(page.status).to.equal(200);
      expect(await page.text()).to.include('<div id="app"');
      const ready = (await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()) as { db: { mode: string }; store: { kind: string } };
      expect(ready.db.mode).to.equal('embedded');
      expect(ready.store.kind).to.equal('memory');
      expect(fs.existsSync(path.join(dataDir, 'secret'))).to.equal(true);
    } finally {
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
      expect(code, log).to.equal(0);
    }
  });
});
