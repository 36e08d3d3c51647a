import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { expect } from 'chai';
import { createTestGateway, TEST_ADMIN_TOKEN, type TestGateway } from '../src/testing/gateway.ts';
import { ApiKeyEntity, RequestLogEntity, UserEntity } from '../src/db/entities.ts';
import { redactOptions, REDACTED } from '../src/admin/controllers/plugins.ts';

/** The local PostgreSQL CI uses; only when DSN is not set (the helper falls back to embedded). */
const LOCAL_PG = 'postgres://postgres@127.0.0.1:5432/test';
const PROVIDER_KEY = 'sk-ant-secret-123456789';
const PLUGIN_SECRET = 'plugin-api-key-do-not-leak';

/** A local plugin with secret-looking options and its own admin routes. */
function writeProbePlugin(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cch-admin-probe-'));
  const typebox = import.meta.resolve('@sinclair/typebox');
  fs.writeFileSync(
    path.join(dir, 'index.mjs'),
    `import { Type } from ${JSON.stringify(typebox)};
export default {
  name: 'admin-probe',
  version: '1.2.3',
  core: '*',
  kind: 'extension',
  options: Type.Object({
    apiKey: Type.String(),
    label: Type.String({ default: 'probe' }),
    requireToken: Type.Boolean({ default: true }),
    nested: Type.Object({ password: Type.String(), depth: Type.Integer() }),
  }),
  setup(ctx) {
    ctx.router.get('/hello', (c) => { c.body = { hello: ctx.name }; });
    ctx.router.post('/echo', (c) => { c.body = { got: c.request.body }; });
    ctx.router.get('/boom', () => { throw new Error('kaboom'); });
  },
};
`,
  );
  return dir;
}

describe('admin API', function () {
  let t: TestGateway;
  let url: string;
  let pluginDir: string;
  const bearer = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

  before(async function () {
    this.timeout(120_000);
    pluginDir = writeProbePlugin();
    const yaml = `
plugins:
  - path: ${JSON.stringify(pluginDir)}
    options:
      apiKey: ${PLUGIN_SECRET}
      nested: { password: hunter2, depth: 3 }
providers:
  - name: p1
    type: claude
    url: 'http://127.0.0.1:9'
    key: '${PROVIDER_KEY}'
`;
    const hadDsn = process.env.DSN !== undefined;
    if (!hadDsn) process.env.DSN = LOCAL_PG;
    try {
      t = await createTestGateway({ yaml, store: 'memory' });
    } finally {
      if (!hadDsn) delete process.env.DSN;
    }
    url = t.url;
  });

  after(async function () {
    await t?.close();
    if (pluginDir) fs.rmSync(pluginDir, { recursive: true, force: true });
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are asserted field by field
  const json = (res: Response): Promise<any> => res.json();
  const get = (p: string, headers: Record<string, string> = {}) => fetch(url + p, { headers });
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url + p, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  describe('authentication', function () {
    for (const p of ['/api/v1/system/status', '/api/v1/plugins', '/api/v1/providers', '/api/v1/requests', '/api/v1/auth/session', '/api/v1/plugins/admin-probe/hello']) {
      it(`401 without credentials: ${p}`, async function () {
        const res = await get(p);
        expect(res.status).to.equal(401);
        expect(res.headers.get('content-type')).to.match(/application\/json/);
        expect(await json(res)).to.deep.equal({ error: { message: 'admin authentication required' } });
      });
    }

    it('accepts the bearer admin token and rejects a wrong one', async function () {
      const ok = await get('/api/v1/auth/session', bearer);
      expect(ok.status).to.equal(200);
      expect(await json(ok)).to.deep.equal({ authenticated: true });
      const bad = await get('/api/v1/auth/session', { authorization: 'Bearer nope' });
      expect(bad.status).to.equal(401);
      expect((await json(bad)).error.message).to.equal('admin authentication required');
    });

    it('login sets an HttpOnly SameSite=Strict session cookie; the session works until logout', async function () {
      const res = await post('/api/v1/auth/login', { token: TEST_ADMIN_TOKEN });
      expect(res.status).to.equal(200);
      expect(await json(res)).to.deep.equal({ ok: true });
      const setCookie = res.headers.getSetCookie();
      expect(setCookie).to.have.length(1);
      expect(setCookie[0]).to.match(/^cch_session=[^;]+;/);
      expect(setCookie[0]).to.include('HttpOnly');
      expect(setCookie[0]).to.include('SameSite=Strict');
      const cookie = { cookie: setCookie[0]!.split(';')[0]! };

      const session = await get('/api/v1/auth/session', cookie);
      expect(session.status).to.equal(200);
      expect(await json(session)).to.deep.equal({ authenticated: true });
      expect((await get('/api/v1/system/status', cookie)).status).to.equal(200);
      expect((await get('/api/v1/plugins/admin-probe/hello', cookie)).status).to.equal(200);

      const out = await post('/api/v1/auth/logout', {}, cookie);
      expect(out.status).to.equal(200);
      expect(await json(out)).to.deep.equal({ ok: true });
      expect(out.headers.getSetCookie()[0]).to.match(/^cch_session=;.*Max-Age=0/);

      const after = await get('/api/v1/auth/session', cookie);
      expect(after.status).to.equal(401);
    });

    it('login with a wrong token is a 401 without a cookie', async function () {
      const res = await post('/api/v1/auth/login', { token: 'wrong' });
      expect(res.status).to.equal(401);
      expect(res.headers.getSetCookie()).to.deep.equal([]);
      expect(await json(res)).to.deep.equal({ error: { message: 'invalid admin token' } });
    });

    it('a forged session cookie is rejected', async function () {
      const res = await get('/api/v1/auth/session', { cookie: 'cch_session=forged' });
      expect(res.status).to.equal(401);
    });

    it('validation errors are 400 with fields, never 500', async function () {
      const missing = await post('/api/v1/auth/login', {});
      expect(missing.status).to.equal(400);
      const body = await json(missing);
      expect(body.error.message).to.be.a('string').and.include('token');
      expect(body.error.fields).to.have.property('body.token');

      const wrongType = await post('/api/v1/auth/login', { token: 42 });
      expect(wrongType.status).to.equal(400);

      const malformed = await post('/api/v1/auth/login', '{"token":');
      expect(malformed.status).to.equal(400);
      expect((await json(malformed)).error.message).to.be.a('string');
    });
  });

  describe('endpoints', function () {
    it('GET /system/status', async function () {
      const res = await get('/api/v1/system/status', bearer);
      expect(res.status).to.equal(200);
      const s = await json(res);
      expect(s.version).to.be.a('string');
      expect(s.uptimeSeconds).to.be.a('number').and.at.least(0);
      expect(s.mode).to.deep.equal({ db: 'external', store: 'memory' });
      expect(s.ready).to.deep.equal({ db: true, store: true });
    });

    it('GET /plugins lists plugins with secret option values redacted', async function () {
      const res = await get('/api/v1/plugins', bearer);
      expect(res.status).to.equal(200);
      const text = await res.text();
      expect(text).not.to.include(PLUGIN_SECRET);
      expect(text).not.to.include('hunter2');
      const list = JSON.parse(text) as Record<string, unknown>[];
      expect(list).to.have.length(1);
      const p = list[0]!;
      expect(p).to.include({ name: 'admin-probe', version: '1.2.3', source: 'path' });
      for (const k of ['phases', 'services', 'providerTypes', 'dependsOn']) expect(p[k]).to.be.an('array');
      expect(p.setupMs).to.be.a('number');
      expect(p.options).to.deep.equal({ apiKey: REDACTED, label: 'probe', requireToken: true, nested: { password: REDACTED, depth: 3 } });
      expect((p.optionsSchema as { properties: Record<string, unknown> }).properties).to.have.keys('apiKey', 'label', 'requireToken', 'nested');
    });

    it('redactOptions handles nesting, arrays and non-secret keys', function () {
      expect(redactOptions({ token: 'x', tokens: ['a'], secretKey: 5, password: null, keyed: false, list: [{ apiKey: 'y', n: 1 }], plain: 'ok' })).to.deep.equal({
        token: REDACTED,
        tokens: REDACTED,
        secretKey: REDACTED,
        password: null,
        keyed: false,
        list: [{ apiKey: REDACTED, n: 1 }],
        plain: 'ok',
      });
      expect(redactOptions(undefined)).to.equal(undefined);
    });

    it('GET /providers never returns the credential', async function () {
      const res = await get('/api/v1/providers', bearer);
      expect(res.status).to.equal(200);
      const text = await res.text();
      expect(text).not.to.include(PROVIDER_KEY);
      expect(text).not.to.include('secret-123');
      const list = JSON.parse(text) as Record<string, unknown>[];
      expect(list).to.have.length(1);
      expect(list[0]).to.deep.include({ name: 'p1', type: 'claude', url: 'http://127.0.0.1:9', enabled: true, managedBy: 'config', keyHint: '…6789' });
      expect(list[0]).to.have.keys('id', 'name', 'type', 'url', 'weight', 'priority', 'groups', 'models', 'enabled', 'managedBy', 'keyHint', 'modelRedirects', 'costMultiplier', 'limits', 'acceptsTranslation');
    });

    it('GET /requests pages newest first with user and key names', async function () {
      const empty = await json(await get('/api/v1/requests', bearer));
      expect(empty).to.deep.equal({ items: [], total: 0 });

      const em = t.gw.db.em();
      const user = em.create(UserEntity, { name: 'alice', limits: {}, managedBy: 'api' });
      await em.flush();
      const key = em.create(ApiKeyEntity, { userId: user.id, name: 'laptop', keyHash: 'a'.repeat(64), keyHint: 'hub_sk_abcd…', limits: {}, managedBy: 'api' });
      await em.flush();
      const base = Date.parse('2026-01-01T00:00:00Z');
      for (let i = 0; i < 3; i++) {
        em.create(RequestLogEntity, {
          requestId: `req-${i}`,
          createdAt: new Date(base + i * 1000),
          userId: i === 0 ? null : user.id,
          keyId: i === 0 ? null : key.id,
          providerName: 'p1',
          clientFormat: 'anthropic-messages',
          operation: 'generate',
          model: 'claude-x',
          servedModel: 'claude-x-1',
          status: 200,
          outcome: 'ok',
          inputTokens: 10 + i,
          outputTokens: 20,
          cacheCreationTokens: 1,
          cacheReadTokens: 2,
          costUsd: '0.001500',
          ttfbMs: i === 0 ? null : 12,
          durationMs: 100,
        });
      }
      await em.flush();

      const first = await get('/api/v1/requests?limit=2', bearer);
      expect(first.status).to.equal(200);
      const page1 = await json(first);
      expect(page1.total).to.equal(3);
      expect(page1.items.map((r: { requestId: string }) => r.requestId)).to.deep.equal(['req-2', 'req-1']);
      expect(page1.items[0]).to.deep.equal({
        requestId: 'req-2',
        createdAt: new Date(base + 2000).toISOString(),
        user: 'alice',
        key: 'laptop',
        provider: 'p1',
        clientFormat: 'anthropic-messages',
        model: 'claude-x',
        servedModel: 'claude-x-1',
        status: 200,
        inputTokens: 12,
        outputTokens: 20,
        cacheCreationTokens: 1,
        cacheReadTokens: 2,
        costUsd: page1.items[0].costUsd,
        durationMs: 100,
        ttfbMs: 12,
        outcome: 'ok',
        errorClass: null,
        sessionId: null,
        attemptCount: 0,
        providerFormat: null,
        decision: null,
      });
      expect(Number(page1.items[0].costUsd)).to.equal(0.0015);

      const page2 = await json(await get('/api/v1/requests?limit=2&offset=2', bearer));
      expect(page2.total).to.equal(3);
      expect(page2.items).to.have.length(1);
      expect(page2.items[0]).to.include({ requestId: 'req-0', user: null, key: null, ttfbMs: null });

      for (const q of ['limit=0', 'limit=501', 'limit=abc', 'offset=-1', 'limit=1.5']) {
        const res = await get(`/api/v1/requests?${q}`, bearer);
        expect(res.status, q).to.equal(400);
        const body = await json(res);
        expect(body.error.message, q).to.be.a('string');
        expect(body.error.fields, q).to.be.an('object');
      }
      const bad = await json(await get('/api/v1/requests?limit=abc&offset=-1', bearer));
      expect(bad.error.message).to.equal('invalid request: limit must be an integer; offset must not be negative');
      expect(bad.error.fields).to.have.keys('limit', 'offset');
      expect((await get('/api/v1/requests?limit=500', bearer)).status).to.equal(200);
    });
  });

  describe('plugin routes', function () {
    it('serves plugin routes under /api/v1/plugins/<name>/ with JSON bodies', async function () {
      const hello = await get('/api/v1/plugins/admin-probe/hello', bearer);
      expect(hello.status).to.equal(200);
      expect(await json(hello)).to.deep.equal({ hello: 'admin-probe' });
      const echo = await post('/api/v1/plugins/admin-probe/echo', { a: [1, 2] }, bearer);
      expect(echo.status).to.equal(200);
      expect(await json(echo)).to.deep.equal({ got: { a: [1, 2] } });
    });

    it('an unexpected error is a logged 500 naming the request id', async function () {
      const logged: unknown[][] = [];
      const logger = t.gw.logger as unknown as { error: (...a: unknown[]) => void };
      const original = logger.error;
      logger.error = (...a: unknown[]) => void logged.push(a);
      try {
        const res = await get('/api/v1/plugins/admin-probe/boom', bearer);
        expect(res.status).to.equal(500);
        const requestId = res.headers.get('x-cch-request-id');
        expect(requestId).to.be.a('string');
        const body = await json(res);
        expect(body).to.deep.equal({ error: { message: 'internal server error', requestId } });
        expect(JSON.stringify(body)).not.to.include('kaboom');
        expect(logged).to.have.length(1);
        expect(logged[0]![0]).to.include({ requestId });
      } finally {
        logger.error = original;
      }
    });
  });

  describe('unknown paths', function () {
    for (const p of ['/api/v1/nope', '/api/nope', '/api', '/api/v1/plugins/no-such-plugin/x']) {
      it(`404 JSON: ${p}`, async function () {
        const res = await get(p, bearer);
        expect(res.status).to.equal(404);
        expect((await json(res)).error.message).to.be.a('string');
      });
    }

    it('405 JSON for a known path with the wrong method', async function () {
      const res = await fetch(url + '/api/v1/system/status', { method: 'DELETE', headers: bearer });
      expect(res.status).to.equal(405);
      expect((await json(res)).error.message).to.be.a('string');
    });
  });

  describe('OpenAPI and reference pages', function () {
    it('GET /api/openapi.json is OpenAPI 3 with the admin paths and bearer security', async function () {
      const res = await get('/api/openapi.json');
      expect(res.status).to.equal(200);
      const spec = await json(res);
      expect(spec.openapi).to.match(/^3\./);
      expect(spec.servers).to.deep.equal([{ url: '/api/v1' }]);
      expect(spec.paths).to.include.keys('/auth/login', '/auth/logout', '/auth/session', '/system/status', '/plugins', '/providers', '/requests');
      expect(spec.components.securitySchemes.admin).to.include({ type: 'http', scheme: 'bearer' });
      expect(spec.components.schemas).to.include.keys('ProviderSummary', 'RequestPage', 'PluginSummary', 'SystemStatus', 'ErrorBody');
    });

    for (const page of ['/api/docs', '/api/docs/', '/api/actions/docs', '/api/scalar', '/api/actions/scalar']) {
      it(`${page} is local HTML whose assets load`, async function () {
        const res = await get(page);
        expect(res.status).to.equal(200);
        expect(res.headers.get('content-type')).to.match(/^text\/html/);
        const html = await res.text();
        const external = (html.match(/https?:\/\/[^\s"'<>)]+/g) ?? []).filter((u) => new URL(u).host !== new URL(url).host);
        expect(external, 'external URLs in the HTML').to.deep.equal([]);
        const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
        expect(assets.filter((a) => a.endsWith('.js')).length).to.be.at.least(2);
        for (const a of assets) {
          const r = await fetch(new URL(a, url + page));
          expect(r.status, a).to.equal(200);
          if (a.endsWith('.js')) expect(r.headers.get('content-type'), a).to.match(/javascript/);
          await r.arrayBuffer();
        }
      });
    }
  });
});
