import { expect } from 'chai';
import { ApiKeyEntity } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { redisAvailable } from '../../limits-common/test/helpers.ts';

const KEY = 'hub_sk_RpmTestKey00000000000000000000000000001';
const INTERN_KEY = 'hub_sk_RpmTestKey00000000000000000000000000002';
const PAT_KEY = 'hub_sk_RpmTestKey00000000000000000000000000003';

const yaml = (upstream: string) => `
plugins:
  - name: auth
  - name: limit-rpm
  - name: provider-claude
providers:
  - name: mock
    type: claude
    url: ${upstream}
    key: sk-ant-upstream
  - name: tiny
    type: claude
    url: ${upstream}
    key: sk-ant-upstream
    groups: [small]
    limits: { rpm: 2 }
groups:
  - name: intern
    limits: { rpm: 3 }
users:
  - name: alice
    keys: [{ name: laptop, key: ${KEY}, limits: { rpm: 50 } }]
  - name: ivan
    group: intern
    keys: [{ name: k, key: ${INTERN_KEY} }]
  - name: pat
    providerGroups: [small]
    keys: [{ name: k, key: ${PAT_KEY} }]
`;

const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });

function send(url: string, key = KEY, path = '/v1/messages', body = BODY) {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body });
}

const until = async (cond: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 200; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('limit-rpm end to end', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub1: TestGateway;
  let hub2: TestGateway;

  before(async function () {
    if (!redisAvailable() && process.env.CCH_REQUIRE_REDIS !== '1') return this.skip();
    mock = await createMockUpstream();
    hub1 = await createTestGateway({ yaml: yaml(mock.url), store: 'redis' });
    hub2 = await createTestGateway({ yaml: yaml(mock.url), store: 'redis', shareWith: hub1 });
  });
  after(async () => {
    await hub2?.close();
    await hub1?.close();
    await mock?.close();
  });

  it('200 concurrent requests from one key with rpm 50 over two instances: exactly 50 pass', async () => {
    mock.reset();
    const responses = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i % 2 ? hub1.url : hub2.url)));
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>));
    const ok = responses.filter((r) => r.status === 200);
    const limited = responses.map((r, i) => ({ r, body: bodies[i]! })).filter(({ r }) => r.status === 429);
    expect(ok).to.have.length(50);
    expect(limited).to.have.length(150);
    expect(mock.requestCount).to.equal(50);

    // Each admitted request saw its own place in the window: remaining 49 … 0, each once.
    const remaining = ok.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((a, b) => a - b);
    expect(remaining).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    expect(ok.every((r) => r.headers.get('x-ratelimit-limit') === '50')).to.equal(true);

    const nowS = Date.now() / 1000;
    for (const { r, body } of limited) {
      expect(r.headers.get('x-ratelimit-type')).to.equal('rpm');
      expect(r.headers.get('x-ratelimit-limit')).to.equal('50');
      expect(r.headers.get('x-ratelimit-remaining')).to.equal('0');
      const retry = Number(r.headers.get('retry-after'));
      expect(retry).to.be.within(1, 60);
      expect(Number(r.headers.get('x-ratelimit-reset'))).to.be.within(nowS, nowS + 61);
      expect(body).to.deep.include({ type: 'error' });
      expect(body.error).to.deep.include({ type: 'rate_limit_error' });
      expect((body.error as { message: string }).message).to.match(/^Rate limit exceeded: key "laptop" limit of 50 requests per minute reached; resets in \d+ s \(/);
    }
  });

  it('answers in the client’s own format: OpenAI and Gemini', async () => {
    const chat = await send(hub1.url, KEY, '/v1/chat/completions', JSON.stringify({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] }));
    expect(chat.status).to.equal(429);
    expect(chat.headers.get('retry-after')).to.match(/^\d+$/);
    const cj = (await chat.json()) as { error: { type: string; code: string; message: string } };
    expect(cj.error).to.include({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    const gem = await fetch(`${hub2.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(gem.status).to.equal(429);
    expect(gem.headers.get('x-ratelimit-type')).to.equal('rpm');
    expect(((await gem.json()) as { error: unknown }).error).to.deep.include({ code: 429, status: 'RESOURCE_EXHAUSTED' });
  });

  it('count_tokens is not a generation and is neither counted nor limited', async () => {
    const res = await send(hub1.url, KEY, '/v1/messages/count_tokens', JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }));
    expect(res.status).to.equal(200);
  });

  it('a user gets its group’s rpm, and the message names the group', async () => {
    for (let i = 0; i < 3; i++) expect((await send(hub1.url, INTERN_KEY)).status).to.equal(200);
    const res = await send(hub2.url, INTERN_KEY);
    expect(res.status).to.equal(429);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).to.match(/group "intern" limit for user "ivan" of 3 requests per minute/);
  });

  it('the limits service reads the window; providerLimits sees a provider over its rpm', async () => {
    const key = await hub1.gw.db.em().findOneOrFail(ApiKeyEntity, { name: 'laptop' });
    const usage = await hub2.gw.services.limits!.usage('key', key.id);
    expect(usage?.rpm).to.include({ used: 50, limit: 50 });
    expect(Date.parse(usage!.rpm!.resetAt!)).to.be.within(Date.now(), Date.now() + 60_000);
    expect((await hub1.gw.services.limits!.usage('group', 'intern'))?.rpm).to.deep.equal({ used: null, limit: 3, resetAt: null });
    expect(await hub1.gw.services.limits!.usage('key', 999_999)).to.equal(undefined);

    const state = hub1.gw.services.limits!.status();
    expect(state.degraded).to.equal(false);
    expect(state.plugins.map((p) => p.plugin)).to.deep.equal(['limit-rpm']);

    // "tiny" (rpm 2) serves only pat. Without a balancer the attempts are counted at settle.
    const tiny = hub1.gw.providers.byName('tiny')!;
    const limits = hub2.gw.services.providerLimits!;
    expect(await limits.isAvailable(tiny.id)).to.equal(true);
    expect((await send(hub1.url, PAT_KEY)).status).to.equal(200);
    expect((await send(hub2.url, PAT_KEY)).status).to.equal(200);
    await until(async () => !(await limits.isAvailable(tiny.id)), 'tiny to be over its rpm');
    expect((await hub1.gw.services.limits!.usage('provider', 'tiny'))?.rpm).to.include({ used: 2, limit: 2 });
    expect(await limits.isAvailable(hub1.gw.providers.byName('mock')!.id)).to.equal(true);
  });
});

describe('limit-rpm switched off', function () {
  this.timeout(60_000);
  it('ENABLE_RATE_LIMIT=false loads no limit plugin and limits nothing', async () => {
    const mock = await createMockUpstream();
    const hub = await createTestGateway({ yaml: yaml(mock.url).replace('limits: { rpm: 3 }', 'limits: { rpm: 1 }'), env: { ENABLE_RATE_LIMIT: 'false' } });
    try {
      expect(hub.gw.plugins.map((p) => p.name)).to.not.include('limit-rpm');
      for (let i = 0; i < 4; i++) expect((await send(hub.url, INTERN_KEY)).status).to.equal(200);
      expect(hub.gw.services.limits).to.equal(undefined);
    } finally {
      await hub.close();
      await mock.close();
    }
  });
});
