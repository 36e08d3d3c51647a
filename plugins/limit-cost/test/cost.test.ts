import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { redisAvailable } from '../../limits-common/test/helpers.ts';

const KEY = 'hub_sk_CostTestKey0000000000000000000000000001';
const ABORT_KEY = 'hub_sk_CostTestKey0000000000000000000000000002';

// $10 per million input tokens, $100 per million output: 1000 in + 900 out = $0.01 + $0.09 = $0.10.
const yaml = (upstream: string) => `
plugins:
  - name: auth
  - name: limit-cost
  - name: accounting
    options:
      flushIntervalMs: 20
      prices: { "claude-sonnet-4-5": { input: 10, output: 100 } }
  - name: provider-claude
providers:
  - name: mock
    type: claude
    url: ${upstream}
    key: sk-ant-upstream
users:
  - name: bob
    limits: { usdMonthly: 1.00 }
    keys: [{ name: laptop, key: ${KEY} }]
  - name: abby
    limits: { usdDaily: 50 }
    keys: [{ name: k, key: ${ABORT_KEY} }]
`;

// ~4.1 kB of prompt: estimated at ~1030 input tokens, a little over the 1000 the mock reports.
const BODY = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 900, stream: true, messages: [{ role: 'user', content: 'x'.repeat(4100) }] });

function send(url: string, key = KEY, signal?: AbortSignal) {
  return fetch(`${url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }, body: BODY, signal });
}

const until = async (cond: () => Promise<boolean>, what: string) => {
  for (let i = 0; i < 250; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('limit-cost end to end', function () {
  this.timeout(90_000);
  let mock: MockUpstream;
  let hub1: TestGateway;
  let hub2: TestGateway;

  before(async function () {
    if (!redisAvailable() && process.env.CCH_REQUIRE_REDIS !== '1') return this.skip();
    mock = await createMockUpstream({ usage: { input: 1000, output: 900 }, chunkDelayMs: 15, events: 5 });
    hub1 = await createTestGateway({ yaml: yaml(mock.url), store: 'redis' });
    hub2 = await createTestGateway({ yaml: yaml(mock.url), store: 'redis', shareWith: hub1 });
  });
  after(async () => {
    await hub2?.close();
    await hub1?.close();
    await mock?.close();
  });

  const usage = async (user: string) => (await hub1.gw.services.limits!.usage('user', user))!;

  it('a $1.00 monthly budget, $0.10 requests fired 40 at a time on two instances: spend ends ≤ $1.00 + one request', async () => {
    let admitted = 0;
    const refusals: Response[] = [];
    for (let wave = 0; wave < 6; wave++) {
      const res = await Promise.all(Array.from({ length: 40 }, (_, i) => send(i % 2 ? hub1.url : hub2.url)));
      for (const r of res) {
        if (r.status === 200) {
          admitted++;
          await r.text(); // drain: the stream settles when it ends
        } else {
          expect(r.status).to.equal(402);
          refusals.push(r);
        }
      }
      await until(async () => (await usage('bob')).usdMonthly!.reserved === 0, 'all holds to settle');
    }
    const spent = (await usage('bob')).usdMonthly!.used!;
    expect(spent).to.be.closeTo(admitted * 0.1, 1e-9);
    expect(spent).to.be.at.least(1.0);
    expect(spent).to.be.at.most(1.1 + 1e-9);

    for (const r of refusals) {
      expect(r.headers.get('x-ratelimit-type')).to.equal('usd_monthly');
      expect(r.headers.get('x-ratelimit-limit')).to.equal('1.00');
      expect(Number(r.headers.get('retry-after'))).to.be.at.least(1);
      const body = (await r.json()) as { type: string; error: { type: string; message: string } };
      expect(body.type).to.equal('error');
      expect(body.error.type).to.equal('rate_limit_error');
      expect(body.error.message).to.match(/^USD budget exhausted: user "bob" limit of \$1\.00 per month reached/);
    }

    // Once settled spend is over, the refusal points at the start of next month.
    const last = await send(hub2.url);
    expect(last.status).to.equal(402);
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    expect(Number(last.headers.get('x-ratelimit-reset'))).to.equal(nextMonth / 1000);
    expect(Number(last.headers.get('retry-after'))).to.be.closeTo((nextMonth - Date.now()) / 1000, 5);
    expect(last.headers.get('x-ratelimit-remaining')).to.equal('0.00');
    expect(((await last.json()) as { error: { message: string } }).error.message).to.match(/resets in .* \(\d{4}-\d\d-01T00:00:00Z\)\.$/);
  });

  it('an aborted stream releases its hold and is settled to what it really cost', async () => {
    mock.settings.chunkDelayMs = 300;
    try {
      const ac = new AbortController();
      const res = await send(hub1.url, ABORT_KEY, ac.signal);
      expect(res.status).to.equal(200);
      const reader = res.body!.getReader();
      await reader.read(); // message_start: 1000 input tokens, 1 output token so far
      expect((await usage('abby')).usdDaily!.reserved).to.be.greaterThan(0.09);
      ac.abort();
      await until(async () => (await usage('abby')).usdDaily!.reserved === 0, 'the hold to be released');
      const u = await usage('abby');
      expect(u.usdDaily!.used).to.be.closeTo(0.01 + 0.0001, 1e-9); // input + the one output token seen
      expect(u.usdTotal!.used).to.be.closeTo(0.0101, 1e-9);
      expect(u.usdDaily!.limit).to.equal(50);
    } finally {
      mock.settings.chunkDelayMs = 15;
    }
  });
});
