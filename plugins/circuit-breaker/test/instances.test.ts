import { expect } from 'chai';
import { createMockUpstream, createTestGateway, TEST_ADMIN_TOKEN, type MockUpstream, type TestGateway } from '@cch/core/testing';
import type { BreakerSnapshot, BreakerState } from '../src/index.ts';

const KEY = 'hub_sk_BreakerTestKey000000000000000000000000001';
const REQUIRE_REDIS = process.env.CCH_REQUIRE_REDIS === '1';

const yaml = (a: string, b: string) => `
plugins:
  - name: auth
  - name: balancer
  - name: circuit-breaker
    options: { failureThreshold: 3, openSeconds: 1, halfOpenSuccesses: 1 }
  - name: provider-claude
providers:
  - { name: a, type: claude, url: "${a}", key: sk-a, priority: 1 }
  - { name: b, type: claude, url: "${b}", key: sk-b, priority: 2 }
users:
  - name: bob
    keys: [{ name: k, key: ${KEY} }]
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await sleep(15);
  }
}

async function send(t: TestGateway): Promise<number> {
  const res = await fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: `hi ${Math.random()}` }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

function admin(t: TestGateway, path: string, init: RequestInit = {}) {
  return fetch(`${t.url}/api/v1/plugins/circuit-breaker${path}`, { ...init, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers } });
}

const runs = Boolean(process.env.REDIS_URL);
if (!runs && REQUIRE_REDIS) {
  describe('circuit breaker across hub instances', () => it('needs REDIS_URL (CCH_REQUIRE_REDIS=1)', () => expect.fail('REDIS_URL is not set')));
} else if (!runs) {
  console.warn('circuit-breaker: two-instance tests skipped (REDIS_URL is not set, so test hubs use the memory store)');
}

(runs ? describe : describe.skip)('circuit breaker across hub instances sharing Redis', function () {
  this.timeout(60_000);
  let mockA: MockUpstream;
  let mockB: MockUpstream;
  let hub1: TestGateway;
  let hub2: TestGateway;
  let idA: number;

  before(async () => {
    [mockA, mockB] = await Promise.all([createMockUpstream(), createMockUpstream()]);
    hub1 = await createTestGateway({ yaml: yaml(mockA.url, mockB.url), store: 'redis' });
    hub2 = await createTestGateway({ yaml: yaml(mockA.url, mockB.url), store: 'redis', shareWith: hub1 });
    idA = hub1.gw.providers.byName('a')!.id;
    expect(hub2.gw.providers.byName('a')!.id).to.equal(idA);
  });
  after(async () => {
    await hub2?.close();
    await hub1?.close();
    await Promise.all([mockA?.close(), mockB?.close()]);
  });

  it('a circuit tripped through one instance is open on the other, which stops calling the provider', async () => {
    mockA.fail({ status: 500 }, 3);
    for (let i = 0; i < 3; i++) expect(await send(hub1)).to.equal(200);
    const seen = await until('open on hub2', () => hub2.gw.services.breaker!.state(idA), (s) => s.state === 'open');
    expect(seen.failures).to.equal(3);
    const before = mockA.requestCount;
    for (let i = 0; i < 3; i++) expect(await send(hub2)).to.equal(200);
    expect(mockA.requestCount).to.equal(before);

    await sleep(1050);
    expect(await send(hub2)).to.equal(200);
    expect(mockA.requestCount).to.equal(before + 1, 'the probe went to A');
    await until('closed on hub1', () => hub1.gw.services.breaker!.state(idA), (s) => s.state === 'closed');
  });

  it('the admin API shows the snapshot and opens / resets a circuit for every instance', async () => {
    const opened = await admin(hub1, `/providers/${idA}/open`, { method: 'POST', body: JSON.stringify({ seconds: 30 }) });
    expect(opened.status).to.equal(200);
    expect(((await opened.json()) as BreakerState).state).to.equal('open');
    const snap = (await (await admin(hub2, '/')).json()) as BreakerSnapshot;
    expect(snap.storage).to.equal('shared');
    expect(snap.options).to.deep.equal({ failureThreshold: 3, openSeconds: 1, halfOpenSuccesses: 1, halfOpenMaxProbes: 1 });
    expect(snap.providers.map((p) => [p.provider, p.state])).to.deep.equal([
      ['a', 'open'],
      ['b', 'closed'],
    ]);
    expect((await admin(hub2, `/providers/${idA}/reset`, { method: 'POST' })).status).to.equal(200);
    expect((await hub1.gw.services.breaker!.state(idA)).state).to.equal('closed');
    expect((await admin(hub1, '/providers/999999/reset', { method: 'POST' })).status).to.equal(404);
    expect((await fetch(`${hub1.url}/api/v1/plugins/circuit-breaker/`)).status).to.equal(401);
  });
});
