import { expect } from 'chai';
import type { Candidate, Exchange, PhaseMiddleware, ProviderRecord, ProxyContext, RoutePlan } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { untried, watchAttempts } from '../src/attempts.ts';
import { redisAvailable } from './helpers.ts';

const provider = (id: number) => ({ id, name: `p${id}` }) as ProviderRecord;
const candidate = (id: number) => ({ provider: provider(id) }) as Candidate;

describe('watchAttempts', function () {
  function setup() {
    let mw: PhaseMiddleware | undefined;
    const reports: number[] = [];
    watchAttempts({ use: (_phase: string, fn: PhaseMiddleware) => void (mw = fn), providers: { get: () => undefined } } as never, (_ex, p) => reports.push(p.id));
    return { run: (c: ProxyContext, next: () => Promise<void>) => mw!(c, next), reports };
  }

  it("reports the plan's first provider before the proxy runs, then only the failovers", async () => {
    const { run, reports } = setup();
    const picks = [candidate(1), candidate(2), undefined];
    const plan: RoutePlan = { maxAttempts: 3, first: picks[0], next: () => picks.shift() };
    const ex = { plan, attempts: [] } as unknown as Exchange;
    await run({ exchange: ex } as ProxyContext, async () => {
      // The proxy (it waits for the admission checks first) has not picked anything yet.
      expect(reports).to.deep.equal([1]);
      expect(ex.plan!.next(undefined)?.provider.id).to.equal(1);
      expect(reports).to.deep.equal([1]); // not twice
      expect(ex.plan!.next({} as never)?.provider.id).to.equal(2);
      expect(ex.plan!.next({} as never)).to.equal(undefined);
    });
    expect(reports).to.deep.equal([1, 2]);
  });

  it('without a known first candidate, reports each pick as it is made', async () => {
    const { run, reports } = setup();
    const picks = [candidate(3), candidate(4)];
    const ex = { plan: { maxAttempts: 2, next: () => picks.shift() }, attempts: [] } as unknown as Exchange;
    await run({ exchange: ex } as ProxyContext, async () => {
      expect(reports).to.deep.equal([]);
      ex.plan!.next(undefined);
      ex.plan!.next({} as never);
    });
    expect(reports).to.deep.equal([3, 4]);
  });

  it('untried lists the reported providers the exchange never sent an attempt to', () => {
    const ex = { attempts: [{ providerId: 2 }] } as unknown as Exchange;
    expect(untried(ex, [1, 2, 3])).to.deep.equal([1, 3]);
  });
});

const KEY = 'hub_sk_EarlyProviderKey0000000000000000000001';

describe('provider counters taken with the admission checks (Redis)', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub: TestGateway;

  before(async function () {
    if (!redisAvailable() && process.env.CCH_REQUIRE_REDIS !== '1') return this.skip();
    mock = await createMockUpstream();
    hub = await createTestGateway({
      store: 'redis',
      yaml: `
plugins:
  - name: auth
  - name: limit-rpm
  - name: limit-concurrency
  - name: balancer
  - name: provider-claude
providers:
  - name: only
    type: claude
    url: ${mock.url}
    key: sk-ant-upstream
    limits: { rpm: 100, concurrentRequests: 100 }
users:
  - name: rita
    keys: [{ name: k, key: ${KEY}, limits: { rpm: 1 } }]
`,
    });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });

  const send = () =>
    fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });

  it('a request the limits refuse gives back what it took from the provider: its rpm entry and its slot', async () => {
    const id = hub.gw.providers.byName('only')!.id;
    const usage = async () => {
      const u = await hub.gw.services.limits!.usage('provider', id);
      return { rpm: u!.rpm!.used, inFlight: u!.concurrentRequests!.used };
    };
    expect((await send()).status).to.equal(200);
    const upstreamCalls = mock.requests.length;
    for (let i = 0; i < 5; i++) expect((await send()).status).to.equal(429); // the key's rpm of 1
    expect(mock.requests.length).to.equal(upstreamCalls);
    // Settle hooks run after the answer: wait for them to give back what the refused requests took.
    let last: unknown;
    for (let i = 0; i < 100; i++) {
      last = await usage();
      if (JSON.stringify(last) === JSON.stringify({ rpm: 1, inFlight: 0 })) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(last).to.deep.equal({ rpm: 1, inFlight: 0 });
  });
});
