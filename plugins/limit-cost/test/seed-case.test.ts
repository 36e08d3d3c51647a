import fs from 'node:fs';
import { expect } from 'chai';
import { parseConfig } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';

/** The team-tiers YAML exactly as the README shows it. */
function readmeYaml(): string {
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const m = /<!-- seed-case-3:start -->\s*```yaml\n([\s\S]*?)```\s*<!-- seed-case-3:end -->/.exec(readme);
  if (!m) throw new Error('README.md has no seed-case-3 block');
  return m[1]!;
}

const KEYS = {
  ALICE_KEY: 'hub_sk_SeedCaseKey000000000000000000000000000A',
  BOB_KEY: 'hub_sk_SeedCaseKey000000000000000000000000000B',
  CAROL_KEY: 'hub_sk_SeedCaseKey000000000000000000000000000C',
};

function send(url: string, key: string) {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

describe('limit-cost README: seed case 3 (team tiers)', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream();
    hub = await createTestGateway({ yaml: readmeYaml(), env: { ...KEYS, ANTHROPIC_URL: mock.url, ANTHROPIC_KEY: 'sk-ant-seed', TZ_NAME: 'Asia/Shanghai' } });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });

  it('parses into three groups with the tiers', () => {
    const { config } = parseConfig(readmeYaml(), { env: { ...process.env, ...KEYS, ANTHROPIC_KEY: 'x' } });
    expect(config.groups?.map((g) => [g.name, g.limits])).to.deep.equal([
      ['senior', { rpm: 100, usdMonthly: 500 }],
      ['regular', { rpm: 50, usdMonthly: 200 }],
      ['intern', { rpm: 20, usdMonthly: 50 }],
    ]);
    expect(config.settings?.timezone).to.equal('Asia/Shanghai');
  });

  it('each member gets the group limits: an intern has 20 requests per minute', async () => {
    for (let i = 0; i < 20; i++) expect((await send(hub.url, KEYS.CAROL_KEY)).status).to.equal(200);
    const res = await send(hub.url, KEYS.CAROL_KEY);
    expect(res.status).to.equal(429);
    expect(res.headers.get('x-ratelimit-limit')).to.equal('20');
    expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/group "intern" limit for user "carol" of 20 requests per minute/);
    // A senior in the same minute is unaffected.
    expect((await send(hub.url, KEYS.ALICE_KEY)).status).to.equal(200);
  });

  it('and the monthly budget: $200 for a regular, in the configured time zone', async () => {
    const limits = hub.gw.services.limits!;
    const before = await limits.usage('user', 'bob');
    expect(before?.usdMonthly).to.include({ used: 0, limit: 200 });
    // Month ends at local midnight in Shanghai: 16:00 UTC on the last day.
    expect(before?.usdMonthly?.resetAt).to.match(/T16:00:00\.000Z$/);
    // One huge request: 40M input tokens of claude-sonnet-4-5 at the >200k rate ($6/M) = $240.
    mock.settings.usage.input = 40_000_000;
    try {
      expect((await send(hub.url, KEYS.BOB_KEY)).status).to.equal(200);
      for (let i = 0; i < 100 && ((await limits.usage('user', 'bob'))?.usdMonthly?.used ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect((await limits.usage('user', 'bob'))?.usdMonthly?.used).to.be.greaterThan(200);
      const res = await send(hub.url, KEYS.BOB_KEY);
      expect(res.status).to.equal(402);
      expect(res.headers.get('x-ratelimit-type')).to.equal('usd_monthly');
      expect(res.headers.get('x-ratelimit-limit')).to.equal('200.00');
      expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/group "regular" limit for user "bob" of \$200\.00 per month reached/);
    } finally {
      mock.settings.usage.input = 12;
    }
    expect((await limits.usage('group', 'senior'))?.usdMonthly).to.include({ used: null, limit: 500 });
  });
});
