import path from 'node:path';
import http from 'node:http';
import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '../src/testing/index.ts';
import { RequestLogEntity } from '../src/db/entities.ts';

const KEY = 'hub_sk_GatewayTestKey0000000000000000000000001';
const REPO = path.resolve(import.meta.dirname, '../..');

const yaml = (upstream: string, extra = '') => `
plugins:
  - name: auth
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20 }
  - path: ./examples/plugins/request-tag
    options: { tag: team-a }
${extra}
providers:
  - name: mock
    type: claude
    url: ${upstream}
    key: sk-ant-upstream
    timeouts: { idleMs: 400, firstByteMs: 1500, totalMs: 700 }
users:
  - name: bob
    keys: [{ name: k, key: ${KEY} }]
`;

const MSG = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

async function logRow(t: TestGateway, requestId: string) {
  for (let i = 0; i < 150; i++) {
    const row = await t.gw.db.em().findOne(RequestLogEntity, { requestId });
    if (row) return row;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no log row for ${requestId}`);
}

function streamRequest(url: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers }, body: MSG });
}

describe('gateway', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub: TestGateway;
  before(async () => {
    mock = await createMockUpstream({ events: 10 });
    hub = await createTestGateway({ yaml: yaml(mock.url), baseDir: REPO });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  describe('operations', () => {
    it('/healthz answers and every response carries x-cch-request-id', async () => {
      const res = await fetch(`${hub.url}/healthz`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-cch-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
    it('/readyz names the database and the store', async () => {
      const res = await fetch(`${hub.url}/readyz`);
      const body = (await res.json()) as { db: { ok: boolean; mode: string }; store: { ok: boolean; kind: string } };
      expect(res.status).to.equal(200);
      expect(body.db).to.deep.equal({ ok: true, mode: 'external' });
      expect(body.store.ok).to.equal(true);
      expect(body.store.kind).to.equal(process.env.REDIS_URL ? 'redis' : 'memory');
    });
    it('/metrics is Prometheus text', async () => {
      const res = await fetch(`${hub.url}/metrics`);
      expect(res.headers.get('content-type')).to.match(/text\/plain/);
      expect(await res.text()).to.match(/^# HELP cch_/m);
    });
    it('serves the console at /', async () => {
      const res = await fetch(`${hub.url}/`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/text\/html/);
      expect(await res.text()).to.match(/<div id="app"|Claude Code Hub/);
    });
  });

  describe('plugins', () => {
    it('a plugin from a local folder (path: in YAML) loads and adds its response header', async () => {
      const info = hub.gw.plugins.find((p) => p.name === 'request-tag')!;
      expect(info).to.include({ source: 'path', ref: './examples/plugins/request-tag' });
      expect(info.phases).to.deep.equal(['authenticate']);
      const res = await fetch(`${hub.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: '{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-request-tag')).to.equal('team-a');
    });
    it('runs pre-tier middleware before normal ones in the same phase', () => {
      const auth = hub.gw.pipeline.list().filter((m) => m.phase === 'authenticate');
      expect(auth.map((m) => m.plugin)).to.deep.equal(['request-tag', 'auth']);
    });
    it('a plugin with bad options stops boot with the YAML path', async () => {
      let err: Error | undefined;
      try {
        await createTestGateway({ yaml: yaml(mock.url).replace('tag: team-a', 'tag: "bad tag!"'), baseDir: REPO });
      } catch (e) {
        err = e as Error;
      }
      expect(err?.message).to.match(/CCH_ERR_PLUGIN_OPTIONS_INVALID/);
      expect(err?.message).to.include('plugins[3].options.tag');
    });
  });

  describe('streams and upstream failures', () => {
    it('passes a stream through chunk by chunk: time to first byte through the hub stays within one chunk interval of direct', async () => {
      mock.settings.chunkDelayMs = 60;
      const ttfb = async (url: string, headers: Record<string, string>) => {
        const t = performance.now();
        const r = await fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: MSG });
        await r.body!.getReader().read();
        const ms = performance.now() - t;
        await r.body!.cancel().catch(() => {});
        return ms;
      };
      const direct = await ttfb(mock.url, { 'x-api-key': 'sk-ant-upstream' });
      const viaHub = await ttfb(hub.url, { 'x-api-key': KEY });
      // Buffering the stream would push the first byte past the second chunk (60 ms later).
      expect(viaHub, `direct ${direct.toFixed(1)} ms, via hub ${viaHub.toFixed(1)} ms`).to.be.lessThan(direct + 60);
      const t0 = performance.now();
      const res = await streamRequest(hub.url);
      const reader = res.body!.getReader();
      const first = await reader.read();
      const tFirst = performance.now() - t0;
      let rest = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        rest += Buffer.from(value).toString();
      }
      const total = performance.now() - t0;
      mock.settings.chunkDelayMs = 0;
      expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
      expect(Buffer.from(first.value!).toString()).to.include('message_start');
      expect(rest).to.include('message_stop');
      // 10+ events 60 ms apart: if the hub buffered, the first byte would come with the last.
      expect(total - tFirst).to.be.greaterThan(300);
    });

    it('ends the stream with an Anthropic error event when the upstream resets mid-stream, and logs it as failed', async () => {
      mock.fail({ reset: 'mid-stream', afterEvents: 3 });
      const res = await streamRequest(hub.url);
      const text = await res.text();
      expect(text).to.include('message_start');
      expect(text).to.match(/event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
      const row = await logRow(hub, res.headers.get('x-cch-request-id')!);
      expect(row.outcome).to.equal('failed');
      expect(row.errorClass).to.equal('network');
    });

    it('cuts an upstream that goes idle mid-stream (idle timeout) with an error event', async () => {
      mock.fail({ hang: 'mid-stream', afterEvents: 2 });
      const t0 = Date.now();
      const res = await streamRequest(hub.url);
      const text = await res.text();
      expect(Date.now() - t0).to.be.lessThan(5000);
      expect(text).to.include('"type":"timeout_error"');
      const row = await logRow(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ outcome: 'failed', errorClass: 'timeout' });
    });

    it('answers 504 in the client format when the upstream sends no headers in time', async () => {
      mock.fail({ hang: 'before-headers' });
      const res = await streamRequest(hub.url);
      expect(res.status).to.equal(504);
      expect(((await res.json()) as { error: { type: string } }).error.type).to.equal('timeout_error');
    });

    it('cuts a non-streaming request at the total timeout with a 504 in the client format', async () => {
      mock.fail({ delayMs: 1200 });
      const t0 = Date.now();
      const res = await fetch(`${hub.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: MSG.replace('"stream":true', '"stream":false') });
      expect(res.status).to.equal(504);
      expect(Date.now() - t0).to.be.lessThan(1150);
      expect(((await res.json()) as { error: { type: string } }).error.type).to.equal('timeout_error');
    });

    it('aborts the upstream at once when the client disconnects, and settles the request as aborted', async () => {
      mock.settings.chunkDelayMs = 200;
      const requestId = await new Promise<string>((resolve, reject) => {
        const u = new URL(`${hub.url}/v1/messages`);
        const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve(String(res.headers['x-cch-request-id']));
          });
        });
        req.on('error', () => {});
        req.once('error', reject);
        req.end(MSG);
      });
      const row = await logRow(hub, requestId);
      mock.settings.chunkDelayMs = 0;
      expect(row.outcome).to.equal('aborted');
      expect(row.durationMs).to.be.lessThan(1500);
      expect(row.inputTokens).to.be.greaterThan(0); // message_start had been seen
    });
  });

  describe('graceful shutdown', () => {
    it('lets an in-flight stream finish, then closes', async () => {
      const local = await createTestGateway({ yaml: yaml(mock.url), baseDir: REPO });
      mock.settings.chunkDelayMs = 50;
      const res = await streamRequest(local.url);
      const closing = local.close();
      const text = await res.text();
      await closing;
      mock.settings.chunkDelayMs = 0;
      expect(text).to.include('message_stop');
      let refused = false;
      await fetch(`${local.url}/healthz`).catch(() => (refused = true));
      expect(refused).to.equal(true);
    });
  });
});
