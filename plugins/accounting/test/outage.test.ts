import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import pg from 'pg';
import { createGateway, createLogger, parseConfig, readEnv, type Gateway } from '@cch/core';
import { createMockUpstream, type MockUpstream } from '@cch/core/testing';
// Not exported by @cch/core/testing yet (requested); the shared test PostgreSQL must not be stopped.
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@cch/core/testing';
import { eventually } from './helpers.ts';

const KEY = 'hub_sk_OutageTestKey0000000000000000000000001';

/**
 * The database goes away under load and comes back: no request-log row may be lost. Runs on a
 * private embedded PostgreSQL (other tests share the system one, which must stay up).
 */
describe('accounting: nothing is lost when PostgreSQL goes down', function () {
  this.timeout(300_000);
  let dir: string;
  let server: EmbeddedPostgres | undefined;
  let mock: MockUpstream;
  let gw: Gateway | undefined;
  let url: string;
  const fired: string[] = [];
  const logger = createLogger({ level: process.env.CCH_TEST_LOG ?? 'silent' });
  const pgLogger = createLogger({ level: 'error' });

  const yaml = (mockUrl: string) => `
plugins:
  - name: auth
    options: { cacheTtlMs: 300000 }
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20, batchSize: 25, spoolAfterMs: 300, closeTimeoutMs: 1000 }
providers:
  - name: mock
    type: claude
    url: ${mockUrl}
    key: sk-ant-x
users:
  - name: gus
    keys: [{ name: k, key: ${KEY} }]
`;

  async function boot(): Promise<void> {
    const rawEnv = {
      ...process.env,
      DSN: server!.dsn,
      REDIS_URL: '',
      CCH_DATA_DIR: path.join(dir, 'data'),
      CCH_SECRET: 'test-secret-0123456789abcdef0123456789',
      ADMIN_TOKEN: 'test-admin-token',
      APP_PORT: '0',
    };
    gw = await createGateway({ env: readEnv(rawEnv), config: parseConfig(yaml(mock.url), { env: rawEnv }), logger, storePrefix: `cch-outage-${crypto.randomBytes(4).toString('hex')}:` });
    url = (await gw.listen(0, '127.0.0.1')).url;
  }

  /** Fire `n` requests, `concurrency` at a time; every one must be answered 200. */
  async function fire(n: number, concurrency = 5): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        next++;
        const stream = next % 2 === 0;
        const res = await fetch(`${url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': KEY },
          body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, stream, messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.arrayBuffer();
        expect(res.status).to.equal(200);
        fired.push(res.headers.get('x-cch-request-id')!);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  async function loggedIds(): Promise<string[]> {
    const client = new pg.Client({ connectionString: server!.dsn });
    await client.connect();
    try {
      return (await client.query<{ request_id: string }>('select request_id from cch_request_log')).rows.map((r) => r.request_id);
    } finally {
      await client.end();
    }
  }

  function spoolFiles(): string[] {
    const d = path.join(dir, 'data', 'spool');
    return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.ndjson')) : [];
  }

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cch-outage-'));
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), logger: pgLogger });
    // Streams take ~25 ms, so the load is still running while the server stops and restarts.
    mock = await createMockUpstream({ usage: { input: 10, output: 5 }, chunkDelayMs: 5 });
    await boot();
  });
  after(async () => {
    await gw?.close().catch(() => {});
    await server?.stop().catch(() => {});
    await mock?.close();
    // As root the cluster may live outside `dir` (see core/src/db/embedded/cluster.ts); remove it too.
    if (server && !server.clusterDir.startsWith(dir)) fs.rmSync(server.clusterDir, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function restartServer(): Promise<void> {
    const port = server!.port;
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), logger: pgLogger, port });
  }

  it('keeps serving while PostgreSQL is down and writes every row once it is back', async () => {
    const log = gw!.services.requestLog!;
    // Stop the server mid-load, with requests in flight, and keep the load going.
    const load = fire(400);
    await eventually(() => fired.length >= 50, 'some traffic');
    await server!.stop();
    const atStop = fired.length;
    await eventually(() => log.stats().spooledRows > 0 && fired.length >= atStop + 50, 'rows spooled to disk under load');
    expect(log.stats().dbHealthy).to.equal(false);
    expect(spoolFiles().length).to.be.greaterThan(0);
    await restartServer();
    await load;
    await fire(30);
    await eventually(async () => (await loggedIds()).length >= fired.length && log.stats().spooledRows === 0 && log.stats().queued === 0, 'all rows written', 60_000);
    const ids = await loggedIds();
    expect(ids.length).to.equal(fired.length);
    expect(new Set(ids)).to.deep.equal(new Set(fired));
    expect(log.stats()).to.include({ dropped: 0, dbHealthy: true });
    expect(spoolFiles()).to.deep.equal([]);
  });

  it('a shutdown while PostgreSQL is down spools what is left; the next start replays it', async () => {
    await server!.stop();
    await fire(20);
    await gw!.close();
    gw = undefined;
    const spooled = spoolFiles()
      .map((f) => fs.readFileSync(path.join(dir, 'data', 'spool', f), 'utf8'))
      .join('')
      .split('\n')
      .filter(Boolean);
    expect(spooled.length).to.be.at.least(20);
    await restartServer();
    await boot();
    await eventually(async () => (await loggedIds()).length >= fired.length, 'spool replayed after restart', 60_000);
    const ids = await loggedIds();
    expect(ids.length).to.equal(fired.length);
    expect(new Set(ids)).to.deep.equal(new Set(fired));
    await eventually(() => spoolFiles().length === 0, 'spool files removed');
  });
});
