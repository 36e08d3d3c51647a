import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { redisAvailable } from '../../limits-common/test/helpers.ts';

const SAM = 'hub_sk_ConcTestKey0000000000000000000000000001';
const RITA = 'hub_sk_ConcTestKey0000000000000000000000000002';

const yaml = (upstream: string) => `
plugins:
  - name: auth
  - name: limit-concurrency
    options: { sessionIdleSeconds: 1 }
  - name: provider-claude
providers:
  - name: mock
    type: claude
    url: ${upstream}
    key: sk-ant-upstream
    limits: { concurrentSessions: 1 }
groups:
  - name: team
    limits: { concurrentSessions: 2 }
users:
  - name: sam
    group: team
    keys: [{ name: laptop, key: ${SAM} }]
  - name: rita
    keys: [{ name: k, key: ${RITA}, limits: { concurrentRequests: 1 } }]
`;

const body = (session: string) =>
  JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, metadata: { user_id: `user_abc_account_00000000-0000-0000-0000-000000000000_session_${session}` }, messages: [{ role: 'user', content: 'hi' }] });

function send(url: string, key: string, session: string, signal?: AbortSignal) {
  return fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body: body(session), signal });
}

/** Start a stream and wait for its first bytes: the request is then in flight. */
async function open(url: string, key: string, session: string) {
  const ac = new AbortController();
  const res = await send(url, key, session, ac.signal);
  expect(res.status, `session ${session}`).to.equal(200);
  const reader = res.body!.getReader();
  await reader.read();
  return {
    abort: () => ac.abort(),
    finish: async () => {
      while (!(await reader.read()).done);
    },
  };
}

const until = async (cond: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 250; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const sessionA = '11111111-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const sessionB = '22222222-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const sessionC = '33333333-cccc-4ccc-8ccc-cccccccccccc';

describe('limit-concurrency end to end', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub1: TestGateway;
  let hub2: TestGateway;

  before(async function () {
    if (!redisAvailable() && process.env.CCH_REQUIRE_REDIS !== '1') return this.skip();
    mock = await createMockUpstream({ chunkDelayMs: 100, events: 30 });
    hub1 = await createTestGateway({ yaml: yaml(mock.url), store: 'redis' });
    hub2 = await createTestGateway({ yaml: yaml(mock.url), store: 'redis', shareWith: hub1 });
  });
  after(async () => {
    await hub2?.close();
    await hub1?.close();
    await mock?.close();
  });

  it('a third session gets 429 while two are active (across instances); an active session keeps working', async () => {
    const a = await open(hub1.url, SAM, sessionA);
    const b = await open(hub2.url, SAM, sessionB);
    const usage = await hub1.gw.services.limits!.usage('user', 'sam');
    expect(usage?.concurrentSessions).to.deep.equal({ used: 2, limit: 2, resetAt: null });
    expect(usage?.concurrentRequests).to.deep.equal({ used: 2, limit: null, resetAt: null });

    const c = await send(hub1.url, SAM, sessionC);
    expect(c.status).to.equal(429);
    expect(c.headers.get('x-ratelimit-type')).to.equal('concurrent_sessions');
    expect(c.headers.get('x-ratelimit-limit')).to.equal('2');
    expect(c.headers.get('x-ratelimit-remaining')).to.equal('0');
    expect(Number(c.headers.get('retry-after'))).to.be.within(1, 1); // at most the 1 s idle window
    expect(c.headers.get('x-ratelimit-reset')).to.match(/^\d+$/);
    const cb = (await c.json()) as { type: string; error: { type: string; message: string } };
    expect(cb.error.type).to.equal('rate_limit_error');
    expect(cb.error.message).to.match(/^Concurrent session limit exceeded: group "team" limit for user "sam" of 2 active sessions reached/);

    // Session A starts another request on the other instance: it is an existing session.
    const a2 = await open(hub2.url, SAM, sessionA);

    await Promise.all([a.finish(), b.finish(), a2.finish()]);
    // Both sessions end, stay active for the idle window (1 s), then C may start.
    expect((await send(hub2.url, SAM, sessionC)).status).to.equal(429);
    await until(async () => (await hub1.gw.services.limits!.usage('user', 'sam'))!.concurrentSessions!.used === 0, 'the idle window to pass');
    const c2 = await send(hub1.url, SAM, sessionC);
    expect(c2.status).to.equal(200);
    await c2.text();
  });

  it('caps requests in flight per key, and an aborted stream frees its slot', async () => {
    const first = await open(hub1.url, RITA, sessionA);
    const second = await send(hub2.url, RITA, sessionA);
    expect(second.status).to.equal(429);
    expect(second.headers.get('x-ratelimit-type')).to.equal('concurrent_requests');
    expect(second.headers.get('retry-after')).to.equal('1');
    expect(((await second.json()) as { error: { message: string } }).error.message).to.match(/key "k" limit of 1 requests in flight/);
    first.abort();
    await until(async () => (await hub1.gw.services.limits!.usage('user', 'rita'))!.concurrentRequests!.used === 0, 'the slot to be released');
    const third = await send(hub2.url, RITA, sessionA);
    expect(third.status).to.equal(200);
    await third.text();
  });

  it('counts sessions on the provider and tells the balancer whether a session may use it', async () => {
    const provider = hub1.gw.providers.byName('mock')!;
    const limits = hub1.gw.services.providerLimits!;
    const a = await open(hub1.url, SAM, sessionA);
    await until(async () => (await hub2.gw.services.limits!.usage('provider', provider.id))!.concurrentSessions!.used! >= 1, 'the provider to count the session');
    // At its limit of 1 session: open to the active session, closed to any other.
    expect(await limits.isAvailable(provider.id, { sessionId: sessionA })).to.equal(true);
    expect(await limits.isAvailable(provider.id, { sessionId: sessionB })).to.equal(false);
    expect(await limits.isAvailable(provider.id)).to.equal(false);
    await a.finish();
  });
});

describe('limit-concurrency with the balancer', function () {
  this.timeout(60_000);
  let busy: MockUpstream;
  let spare: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    busy = await createMockUpstream({ chunkDelayMs: 100, events: 30 });
    spare = await createMockUpstream();
    hub = await createTestGateway({
      yaml: `
plugins:
  - name: auth
  - name: limit-concurrency
  - name: balancer
  - name: provider-claude
providers:
  - { name: busy, type: claude, url: ${busy.url}, key: sk-ant-1, priority: 0, limits: { concurrentSessions: 1 } }
  - { name: spare, type: claude, url: ${spare.url}, key: sk-ant-2, priority: 1 }
users:
  - name: sam
    keys: [{ name: laptop, key: ${SAM} }]
`,
    });
  });
  after(async () => {
    await hub?.close();
    await busy?.close();
    await spare?.close();
  });

  it('a provider at its session limit keeps its session and the balancer sends a new session elsewhere', async () => {
    const a = await open(hub.url, SAM, sessionA);
    expect(busy.requestCount).to.equal(1);
    const b = await send(hub.url, SAM, sessionB);
    expect(b.status).to.equal(200);
    await b.text();
    expect(spare.requestCount).to.equal(1);
    const a2 = await send(hub.url, SAM, sessionA);
    expect(a2.status).to.equal(200);
    await a2.text();
    expect(busy.requestCount).to.equal(2);
    a.abort();
  });
});
