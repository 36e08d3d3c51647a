import { expect } from 'chai';
import { createMockUpstream, createTestGateway, TEST_ADMIN_TOKEN, type MockUpstream, type TestGateway } from '../src/testing/index.ts';
import { isPrivateAddress } from '../src/admin/provider-test.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const SECRET = 'sk-provider-test-secret-5555';
const plugins = '[{ name: auth }, { name: provider-claude }, { name: provider-openai }, { name: provider-codex }, { name: provider-gemini }]';

describe('admin API: provider tests (SSRF-safe)', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  /** Allows private networks: the mock listens on 127.0.0.1. */
  let open: TestGateway;
  /** Default settings: private addresses refused. */
  let strict: TestGateway;

  const providers = (url: string) => `
providers:
  - { name: c, type: claude, url: ${url}, key: ${SECRET}, models: ["claude-haiku-4-5"] }
  - { name: o, type: openai, url: ${url}, key: ${SECRET} }
  - { name: x, type: codex, url: ${url}, key: ${SECRET} }
  - { name: g, type: gemini, url: ${url}, key: ${SECRET} }
  - { name: a, type: gemini-cli, url: ${url}, key: ya29.${SECRET} }
`;
  const post = async (t: TestGateway, path: string, body: unknown = {}) => {
    const res = await fetch(`${t.url}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    expect(text, 'a test result never carries the credential').to.not.include(SECRET);
    return { status: res.status, body: JSON.parse(text) as Json };
  };
  const idOf = (t: TestGateway, name: string) => t.gw.providers.byName(name)!.id;

  before(async () => {
    mock = await createMockUpstream();
    open = await createTestGateway({
      yaml: `settings: { providerTests: { allowPrivateNetworks: true } }\nplugins: ${plugins}\n${providers(mock.url)}`,
      env: { API_TEST_TIMEOUT_MS: '5000' },
    });
    strict = await createTestGateway({ yaml: `plugins: ${plugins}\n${providers(mock.url)}` });
  });
  after(async () => {
    await Promise.all([open?.close(), strict?.close()]);
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('probes every provider type with its own dialect and stored credential', async () => {
    const expected: Record<string, RegExp> = { c: /\/v1\/messages$/, o: /\/chat\/completions$/, x: /\/responses$/, g: /:generateContent$/, a: /v1internal:loadCodeAssist$/ };
    for (const [name, path] of Object.entries(expected)) {
      mock.reset();
      const r = await post(open, `/providers/${idOf(open, name)}/test`);
      expect(r.status).to.equal(200);
      expect(r.body, name).to.include({ ok: true, status: 200, errorClass: null, message: null });
      expect(r.body.latencyMs).to.be.a('number');
      expect(mock.requests, name).to.have.length(1);
      const sent = mock.lastRequest()!;
      expect(sent.path, name).to.match(path);
      expect(JSON.stringify(sent.headers), name).to.include(SECRET);
    }
    // The provider's first plain model, or the one asked for (redirects apply).
    expect((await post(open, `/providers/${idOf(open, 'c')}/test`)).body.model).to.equal('claude-haiku-4-5');
    expect((mock.lastRequest()!.json as Json).model).to.equal('claude-haiku-4-5');
    expect((await post(open, `/providers/${idOf(open, 'o')}/test`, { model: 'gpt-4.1' })).body.model).to.equal('gpt-4.1');
  });

  it('reports upstream refusals with their class and message, and timeouts', async () => {
    mock.fail({ status: 401 });
    const auth = await post(open, `/providers/${idOf(open, 'c')}/test`);
    expect(auth.body).to.include({ ok: false, status: 401, errorClass: 'auth' });
    expect(auth.body.message).to.be.a('string').and.not.equal('');

    mock.fail({ status: 429 });
    expect((await post(open, `/providers/${idOf(open, 'o')}/test`)).body).to.include({ ok: false, status: 429, errorClass: 'rate_limited' });

    mock.fail({ hang: 'before-headers' });
    const t0 = Date.now();
    const hung = await post(open, `/providers/${idOf(open, 'g')}/test`);
    expect(hung.body).to.include({ ok: false, status: null, errorClass: 'timeout' });
    expect(Date.now() - t0).to.be.within(4500, 15_000);

    const down = await post(open, '/providers/test', { type: 'claude', url: 'http://127.0.0.1:1', key: SECRET });
    expect(down.body).to.include({ ok: false, errorClass: 'network' });
    expect(down.body.message).to.match(/ECONNREFUSED/);
  });

  it('refuses loopback, private and link-local targets by default, names and literals alike, without sending anything', async () => {
    const port = new URL(mock.url).port;
    const saved = await post(strict, `/providers/${idOf(strict, 'c')}/test`);
    expect(saved.body).to.include({ ok: false, errorClass: 'blocked', status: null });
    expect(saved.body.message).to.match(/127\.0\.0\.1.*allowPrivateNetworks/);
    for (const url of [`http://localhost:${port}`, `http://[::1]:${port}`, `http://[::ffff:127.0.0.1]:${port}`, 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.7:8080', 'http://0.0.0.0:80']) {
      const r = await post(strict, '/providers/test', { type: 'claude', url, key: SECRET });
      expect(r.body, url).to.include({ ok: false, errorClass: 'blocked' });
    }
    // `localhost` is a name: refused by the lookup the connection itself uses (no rebinding window).
    expect((await post(strict, '/providers/test', { type: 'claude', url: `http://localhost:${port}`, key: SECRET })).body.message).to.match(/localhost resolves to/);
    expect(mock.requests).to.have.length(0);
  });

  it('bad input is a 400 naming the field; unknown ids a 404', async () => {
    const r = await post(open, '/providers/test', { type: 'nope', url: 'http://127.0.0.1:1', key: 'k' });
    expect(r.status).to.equal(400);
    expect(r.body.error.fields).to.have.property('body.type');
    expect((await post(open, '/providers/test', { type: 'claude', url: 'file:///etc/passwd', key: 'k' })).status).to.equal(400);
    expect((await post(open, '/providers/999999/test')).status).to.equal(404);
  });

  it('classifies addresses', () => {
    const cases: [string, boolean][] = [
      ['8.8.8.8', false],
      ['1.1.1.1', false],
      ['172.32.0.1', false],
      ['2606:4700:4700::1111', false],
      ['::ffff:8.8.8.8', false],
      ['10.1.2.3', true],
      ['172.16.5.4', true],
      ['192.168.1.1', true],
      ['169.254.169.254', true],
      ['100.64.0.1', true],
      ['127.0.0.1', true],
      ['0.0.0.0', true],
      ['::1', true],
      ['::', true],
      ['fe80::1', true],
      ['fd12:3456::1', true],
      ['::ffff:10.0.0.1', true],
      ['not-an-ip', true],
    ];
    for (const [ip, priv] of cases) expect(isPrivateAddress(ip), ip).to.equal(priv);
  });
});
