import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createMockUpstream, createTestGateway, TEST_ADMIN_TOKEN, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { hubKey } from './helpers.ts';
import { createTokenKeeper, parseOAuthCredential } from '../src/oauth.ts';

const KEY = hubKey('GeminiOAuth');
const REFRESH = '1//0refresh-token-for-tests';

/** A stand-in for Google's token endpoint: counts calls, hands out ya29.fresh-N tokens. */
async function tokenServer() {
  const calls: URLSearchParams[] = [];
  let reply: { status: number; body: unknown } | undefined;
  let expiresIn = 3600;
  let delayMs = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
    req.on('end', () => {
      calls.push(new URLSearchParams(raw));
      setTimeout(() => {
        const r = reply ?? { status: 200, body: { access_token: `ya29.fresh-${calls.length}`, expires_in: expiresIn, token_type: 'Bearer' } };
        res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`,
    calls,
    set(o: { reply?: { status: number; body: unknown }; expiresIn?: number; delayMs?: number }) {
      reply = o.reply;
      expiresIn = o.expiresIn ?? 3600;
      delayMs = o.delayMs ?? 0;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('provider-gemini: OAuth credentials refresh themselves', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let tokens: Awaited<ReturnType<typeof tokenServer>>;
  let hub: TestGateway;
  const creds = (expiry: number) => JSON.stringify({ access_token: 'ya29.stale', refresh_token: REFRESH, expiry_date: expiry, token_type: 'Bearer', scope: 'https://www.googleapis.com/auth/cloud-platform' });

  const yaml = (key: string, extra = '') => `
settings: { providerTests: { allowPrivateNetworks: true } }
plugins:
  - name: auth
  - name: provider-gemini
    options: { oauthTokenUrl: ${tokens.url}, oauthClientId: test-client, oauthClientSecret: test-secret }
providers:
  - name: ca
    type: gemini-cli
    url: ${mock.url}
    key: '${key}'${extra}
users:
  - name: u
    keys: [{ name: k, key: ${KEY} }]
`;
  const generate = (t: TestGateway) =>
    fetch(`${t.url}/v1internal:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'gemini-2.5-pro', project: 'p-1', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }),
    });
  const bearerSent = () => String(mock.lastRequest()!.headers.authorization);

  before(async () => {
    mock = await createMockUpstream();
    tokens = await tokenServer();
  });
  afterEach(async () => {
    await hub?.close();
    tokens.calls.length = 0;
    tokens.set({});
    mock.reset();
  });
  after(async () => {
    await Promise.all([mock?.close(), tokens?.close()]);
  });

  it('an expired token is refreshed before the request goes out, once for a burst', async () => {
    hub = await createTestGateway({ yaml: yaml(creds(Date.now() - 60_000)) });
    tokens.set({ delayMs: 200 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => generate(hub)));
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200]);
    expect(tokens.calls).to.have.length(1);
    const form = tokens.calls[0]!;
    expect(Object.fromEntries(form)).to.deep.equal({ grant_type: 'refresh_token', refresh_token: REFRESH, client_id: 'test-client', client_secret: 'test-secret' });
    expect(mock.requests.map((r) => r.headers.authorization)).to.deep.equal(Array(5).fill('Bearer ya29.fresh-1'));
  });

  it('the admin API\'s provider test refreshes an expired token first', async () => {
    hub = await createTestGateway({ yaml: yaml(creds(Date.now() - 60_000)) });
    const id = hub.gw.providers.byName('ca')!.id;
    const res = await fetch(`${hub.url}/api/v1/providers/${id}/test`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{}' });
    const out = (await res.json()) as { ok: boolean };
    expect(out.ok).to.equal(true);
    expect(mock.lastRequest()!.path).to.match(/loadCodeAssist$/);
    expect(bearerSent()).to.equal('Bearer ya29.fresh-1');
  });

  it('a valid token is used as is and refreshed ahead of its expiry, without a request waiting', async () => {
    hub = await createTestGateway({ yaml: yaml(creds(Date.now() + 12_000)) });
    expect((await generate(hub)).status).to.equal(200);
    expect(bearerSent()).to.equal('Bearer ya29.stale');
    expect(tokens.calls).to.have.length(0);
    // At half the remaining 12 s, the timer refreshes it.
    for (let i = 0; i < 100 && tokens.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(tokens.calls).to.have.length(1);
    expect((await generate(hub)).status).to.equal(200);
    expect(bearerSent()).to.equal('Bearer ya29.fresh-1');
    expect(tokens.calls).to.have.length(1);
  });

  it('a token the provider refuses is refreshed right away', async () => {
    hub = await createTestGateway({ yaml: yaml(creds(Date.now() + 3_600_000)) });
    mock.fail({ status: 401 });
    expect((await generate(hub)).status).to.not.equal(200);
    for (let i = 0; i < 50 && tokens.calls.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(tokens.calls).to.have.length(1);
    expect((await generate(hub)).status).to.equal(200);
    expect(bearerSent()).to.equal('Bearer ya29.fresh-1');
  });

  it('a revoked refresh token is reported once and not retried; requests go on with the last token', async () => {
    tokens.set({ reply: { status: 400, body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' } } });
    hub = await createTestGateway({ yaml: yaml(creds(Date.now() - 1_000)) });
    const res = await generate(hub);
    expect(res.status).to.equal(200); // the mock accepts any token; the point is that it was sent
    expect(bearerSent()).to.equal('Bearer ya29.stale');
    await generate(hub);
    expect(tokens.calls).to.have.length(1);
  });

  it('a failing refresh is logged without tokens, and retried on its timer rather than by every request', async () => {
    const logs: unknown[] = [];
    const logger = { info: (o: unknown) => logs.push(o), warn: (o: unknown) => logs.push(o), error: (o: unknown) => logs.push(o), debug: () => {} };
    const keeper = createTokenKeeper({ client: { tokenUrl: tokens.url, clientId: 'c', clientSecret: 's' }, logger: logger as never });
    try {
      tokens.set({ reply: { status: 500, body: { error: 'backend_error' } } });
      const p = { id: 1, name: 'ca', type: 'gemini-cli', key: creds(Date.now() - 1_000), enabled: true } as never;
      await keeper.ensureFresh([p]);
      expect(tokens.calls).to.have.length(1);
      expect(keeper.accessToken(p)).to.equal('ya29.stale');
      expect(keeper.ensureFresh([p]), 'requests do not retry a failing refresh').to.equal(undefined);
      expect(JSON.stringify(logs)).to.include('backend_error');
      expect(JSON.stringify(logs)).to.include('retryInSeconds');
      expect(JSON.stringify(logs)).to.not.include(REFRESH).and.not.include('ya29');
    } finally {
      keeper.close();
    }
  });

  it('a replaced credential stops being refreshed', async () => {
    const logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
    const keeper = createTokenKeeper({ client: { tokenUrl: tokens.url, clientId: 'c', clientSecret: 's' }, logger: logger as never });
    try {
      const old = { id: 1, name: 'ca', type: 'gemini-cli', key: creds(Date.now() + 1_500), enabled: true } as never;
      expect(keeper.accessToken(old)).to.equal('ya29.stale'); // its timer is set for ~0.75 s
      keeper.retain([{ id: 1, name: 'ca', type: 'gemini-cli', key: 'ya29.plain', enabled: true } as never]);
      await new Promise((r) => setTimeout(r, 1_200));
      expect(tokens.calls).to.have.length(0);
    } finally {
      keeper.close();
    }
  });

  it('parses Gemini CLI and authorized_user credentials, and nothing else', () => {
    expect(parseOAuthCredential(creds(123))).to.deep.include({ refreshToken: REFRESH, accessToken: 'ya29.stale', expiresAt: 123 });
    const au = parseOAuthCredential(JSON.stringify({ type: 'authorized_user', refresh_token: 'r', client_id: 'c', client_secret: 's', token_uri: 'http://t' }));
    expect(au).to.deep.include({ refreshToken: 'r', accessToken: undefined, expiresAt: 0 });
    expect(au!.client).to.deep.equal({ tokenUrl: 'http://t', clientId: 'c', clientSecret: 's' });
    expect(parseOAuthCredential('ya29.plain-token')).to.equal(undefined);
    expect(parseOAuthCredential('{"access_token":"ya29.x"}')).to.equal(undefined);
    expect(parseOAuthCredential('{not json')).to.equal(undefined);
  });
});
