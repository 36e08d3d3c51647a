import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createTestGateway, waitForRequestLog, type TestGateway } from '../src/testing/index.ts';

/**
 * How the proxy hands streams (and JSON) to the client, against an upstream this file controls:
 * what reaches the client (status, headers — also those middleware set after `next()` — bytes),
 * what the exchange settles as, and that the upstream is cut whenever the client's answer will
 * not need it any more. A client that leaves at any point must never crash the process.
 */

const KEY = 'hub_sk_ProxyStreamTestKey00000000000000000001';
const GEMINI_KEY = 'hub_sk_ProxyStreamTestKey00000000000000000002';
const REPO = path.resolve(import.meta.dirname, '../..');

/** An Anthropic stream with multi-byte text (so the chunk splits below cut UTF-8 sequences). */
function claudeStream(deltas: number): Buffer {
  const ev = (name: string, data: unknown) => `event: ${name}\r\ndata: ${JSON.stringify(data)}\r\n\r\n`;
  let s = ev('message_start', { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test-é', content: [], usage: { input_tokens: 17, cache_read_input_tokens: 5, output_tokens: 1 } } });
  s += ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  for (let i = 0; i < deltas; i++) s += ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `héllo wörld € 😀 ${i} ` } });
  s += ev('content_block_stop', { type: 'content_block_stop', index: 0 });
  s += ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } });
  s += ev('message_stop', { type: 'message_stop' });
  return Buffer.from(s);
}

interface SeenRequest {
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Resolves with true when the hub closed the connection before the answer was complete. */
  cut: Promise<boolean>;
}

/** A Claude/Gemini-shaped upstream; the client's `x-test-mode` header (forwarded by the hub) picks the behaviour. */
async function startUpstream() {
  const seen: SeenRequest[] = [];
  const STREAM = claudeStream(30);
  const server = http.createServer((req, res) => {
    let resolveCut!: (v: boolean) => void;
    seen.push({ path: req.url ?? '', headers: req.headers, cut: new Promise((r) => (resolveCut = r)) });
    res.on('close', () => resolveCut(!res.writableFinished));
    req.resume();
    req.on('end', () => {
      const mode = String(req.headers['x-test-mode'] ?? 'stream');
      const sse = { 'content-type': 'text/event-stream; charset=utf-8', 'x-upstream': 'yes', 'request-id': 'req_up' };
      if (mode === 'json') {
        const body = JSON.stringify({ id: 'msg_2', type: 'message', model: 'claude-test', content: [{ type: 'text', text: 'hi' }], usage: { input_tokens: 3, output_tokens: 4 } });
        res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' }).end(body);
      } else if (mode === 'stream') {
        // Odd-sized writes: events (and UTF-8 sequences) split anywhere.
        res.writeHead(200, sse);
        let i = 0;
        const step = () => {
          if (res.destroyed) return;
          if (i >= STREAM.length) return void res.end();
          res.write(STREAM.subarray(i, (i += 97)));
          setImmediate(step);
        };
        step();
      } else if (mode === 'hold') {
        res.writeHead(200, sse);
        res.flushHeaders(); // headers only; the body never comes
      } else if (mode === 'big') {
        // Far more than socket buffers hold, honouring backpressure, until the reader goes away.
        res.writeHead(200, sse);
        res.write(STREAM.subarray(0, STREAM.indexOf('event: content_block_delta')));
        const delta = Buffer.from(`event: content_block_delta\ndata: ${JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x'.repeat(8000) } })}\n\n`);
        const pump = () => {
          while (!res.destroyed && res.write(delta));
        };
        res.on('drain', pump);
        pump();
      } else if (mode === 'gemini-untyped') {
        // A streaming endpoint that names no content type: the hub sends Koa's default.
        res.writeHead(200, { 'x-upstream': 'yes' });
        res.end(JSON.stringify([{ candidates: [{ content: { parts: [{ text: 'hi' }] } }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2, totalTokenCount: 11 }, modelVersion: 'gemini-test' }]));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    seen,
    STREAM,
    /** The request the upstream got that carries `x-test-id: id`. */
    async request(id: string): Promise<SeenRequest> {
      for (let i = 0; i < 200; i++) {
        const r = seen.find((s) => s.headers['x-test-id'] === id);
        if (r) return r;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error(`upstream never saw ${id}`);
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A plugin that sets headers around `next()` and, on request, fails or answers after the proxy did. */
function writeProbePlugin(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cch-stream-probe-'));
  fs.writeFileSync(
    path.join(dir, 'index.mjs'),
    `export default {
  name: 'stream-probe',
  version: '0.0.1',
  core: '*',
  kind: 'extension',
  setup(ctx) {
    ctx.use('route', async (c, next) => {
      c.set('x-probe-before', 'b');
      await next();
      c.set('x-probe-after', 'a');
      const mode = c.get('x-probe');
      if (mode === 'throw') throw new Error('probe failure after the proxy');
      if (mode === 'replace') {
        c.status = 418;
        c.body = 'replaced by the probe';
      }
    });
  },
};
`,
  );
  return dir;
}

const MSG = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

describe('proxy: streams straight into the response', function () {
  this.timeout(60_000);
  let up: Awaited<ReturnType<typeof startUpstream>>;
  let hub: TestGateway;
  let probeDir: string;
  let n = 0;
  const nextId = () => `t${++n}`;

  before(async () => {
    up = await startUpstream();
    probeDir = writeProbePlugin();
    hub = await createTestGateway({
      baseDir: REPO,
      yaml: `
plugins:
  - name: auth
  - name: provider-claude
  - name: provider-gemini
  - name: accounting
    options: { flushIntervalMs: 20 }
  - path: ${probeDir}
settings: { maxBodyBytes: 65536 }
providers:
  - name: up
    type: claude
    url: ${up.url}
    key: sk-ant-upstream
    groups: [claude]
    timeouts: { idleMs: 2000, firstByteMs: 2000, totalMs: 3000 }
  - name: gm
    type: gemini
    url: ${up.url}
    key: gemini-upstream
    groups: [gemini]
users:
  - name: bob
    keys:
      - { name: k, key: ${KEY}, providerGroups: [claude] }
      - { name: g, key: ${GEMINI_KEY}, providerGroups: [gemini] }
`,
    });
  });
  after(async () => {
    await hub?.close();
    await up?.close();
    if (probeDir) fs.rmSync(probeDir, { recursive: true, force: true });
  });

  const post = (id: string, headers: Record<string, string> = {}, body = MSG) =>
    fetch(`${hub.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'x-test-id': id, ...headers }, body });

  /** A raw client request, for leaving early; resolves once the hub answered with headers (or not at all). */
  function rawRequest(id: string, mode: string) {
    const u = new URL(`${hub.url}/v1/messages`);
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'x-test-id': id, 'x-test-mode': mode } });
    req.on('error', () => {});
    const response = new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    req.end(MSG);
    return { req, response };
  }

  it('passes the bytes through as sent, with upstream headers and those middleware set before and after next()', async () => {
    const id = nextId();
    const res = await post(id);
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).to.equal(200);
    expect(body.equals(up.STREAM)).to.equal(true);
    expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-upstream')).to.equal('yes');
    expect(res.headers.get('request-id')).to.equal('req_up');
    expect(res.headers.get('cache-control')).to.equal('no-cache');
    expect(res.headers.get('x-accel-buffering')).to.equal('no');
    expect(res.headers.get('x-probe-before')).to.equal('b');
    expect(res.headers.get('x-probe-after')).to.equal('a');
    expect(res.headers.get('x-cch-request-id')).to.be.a('string');
    expect(res.headers.get('content-length')).to.equal(null);
    expect(await (await up.request(id)).cut).to.equal(false);
    const row = await waitForRequestLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ outcome: 'completed', status: 200, inputTokens: 17, cacheReadTokens: 5, outputTokens: 42, servedModel: 'claude-test-é' });
  });

  it('JSON answers keep their upstream headers and middleware headers too', async () => {
    const res = await post(nextId(), { 'x-test-mode': 'json' }, MSG.replace('"stream":true', '"stream":false'));
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-upstream')).to.equal('yes');
    expect(res.headers.get('x-probe-after')).to.equal('a');
    expect(((await res.json()) as { usage: { output_tokens: number } }).usage.output_tokens).to.equal(4);
    const row = await waitForRequestLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ outcome: 'completed', inputTokens: 3, outputTokens: 4 });
  });

  it('a middleware that fails after the proxy answered still gets its error response, and the upstream is cut', async () => {
    const id = nextId();
    const res = await post(id, { 'x-test-mode': 'hold', 'x-probe': 'throw' });
    expect(res.status).to.equal(500);
    expect(((await res.json()) as { type: string; error: { type: string } }).error.type).to.equal('api_error');
    expect(await (await up.request(id)).cut).to.equal(true);
    const row = await waitForRequestLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row.outcome).to.equal('failed');
  });

  it('a middleware that answers instead after the proxy did wins, and the upstream is cut', async () => {
    const id = nextId();
    const res = await post(id, { 'x-test-mode': 'hold', 'x-probe': 'replace' });
    expect(res.status).to.equal(418);
    expect(await res.text()).to.equal('replaced by the probe');
    expect(await (await up.request(id)).cut).to.equal(true);
  });

  it('a client that leaves before the first byte: the upstream is cut, the exchange settles as aborted', async () => {
    const id = nextId();
    const { req } = rawRequest(id, 'hold');
    const seen = await up.request(id);
    await new Promise((r) => setTimeout(r, 50)); // the hub has the upstream's headers by now
    const t0 = performance.now();
    req.destroy();
    expect(await seen.cut).to.equal(true);
    expect(performance.now() - t0).to.be.lessThan(1000);
    for (let i = 0; i < 100 && hub.gw.inflight.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hub.gw.inflight.size).to.equal(0); // settled
    // Still serving.
    const res = await post(nextId());
    expect(res.status).to.equal(200);
    await res.arrayBuffer();
  });

  it('a client that stops reading and leaves mid-stream (backpressure): no crash, upstream cut, settled as aborted with the usage seen', async () => {
    const id = nextId();
    const { req, response } = rawRequest(id, 'big');
    const res = await response;
    const requestId = String(res.headers['x-cch-request-id']);
    res.pause(); // never read: the hub's writes back up
    const seen = await up.request(id);
    await new Promise((r) => setTimeout(r, 300));
    req.destroy();
    expect(await seen.cut).to.equal(true);
    const row = await waitForRequestLog(hub, requestId);
    expect(row.outcome).to.equal('aborted');
    expect(row.inputTokens).to.equal(17); // message_start had been seen
    const again = await post(nextId());
    expect(again.status).to.equal(200);
    await again.arrayBuffer();
  });

  it('an upstream stream without a content type goes out as application/octet-stream, as Koa sent stream bodies', async () => {
    const res = await fetch(`${hub.url}/v1beta/models/gemini-2.5-pro:streamGenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': GEMINI_KEY, 'x-test-mode': 'gemini-untyped' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/octet-stream');
    expect(res.headers.get('x-upstream')).to.equal('yes');
    expect(await res.text()).to.include('"candidatesTokenCount":2');
    const row = await waitForRequestLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ outcome: 'completed', inputTokens: 9, outputTokens: 2 });
  });

  describe('reading the request body', () => {
    /** Send `chunks` × 1000 bytes, chunked unless `declared`; resolve with what came back. */
    const send = (chunks: number, opts: { declared?: number; leaveAfter?: number } = {}) =>
      new Promise<string>((resolve) => {
        const u = new URL(`${hub.url}/v1/messages`);
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-api-key': KEY };
        if (opts.declared !== undefined) headers['content-length'] = String(opts.declared);
        const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers }, (res) => {
          let b = '';
          res.on('data', (c) => (b += c));
          res.on('end', () => resolve(`${res.statusCode} ${b}`));
          res.on('error', (e) => resolve(`response error ${e.message}`));
        });
        req.on('error', (e) => resolve(`request error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
        const chunk = Buffer.alloc(1000, 0x20);
        let i = 0;
        const write = () => {
          if (opts.leaveAfter !== undefined && i === opts.leaveAfter) {
            req.destroy();
            resolve('left');
          } else if (i++ < chunks) {
            req.write(chunk);
            setTimeout(write, 2);
          } else req.end();
        };
        write();
      });

    it('answers 413 in the client format when a chunked body outgrows maxBodyBytes', async () => {
      const r = await send(70);
      expect(r).to.match(/^413 /);
      expect(JSON.parse(r.slice(4))).to.deep.include({ type: 'error' });
      expect(r).to.include('request_too_large');
    });

    it('answers 413 up front when the declared length is too big', async () => {
      expect(await send(1, { declared: 70_000 })).to.match(/^413 .*request_too_large/);
    });

    it('a client that leaves while sending its body: no crash, settled, still serving', async () => {
      expect(await send(50, { leaveAfter: 5 })).to.equal('left');
      for (let i = 0; i < 100 && hub.gw.inflight.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(hub.gw.inflight.size).to.equal(0);
      const res = await post(nextId());
      expect(res.status).to.equal(200);
      await res.arrayBuffer();
    });
  });
});
