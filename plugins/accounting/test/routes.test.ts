import { expect } from 'chai';
import { createMockUpstream, createTestGateway, TEST_ADMIN_TOKEN, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { leaderboardQuery } from '../src/routes.ts';
import { eventually } from './helpers.ts';

const KEY = 'hub_sk_AcctRoutesTestKey0000000000000000000001';
const SESSION = '7d3f2a10-5b7c-4e8e-9a61-2f4b8c9d0e11';

/** The admin routes under /api/v1/plugins/accounting/. */
describe('accounting: admin routes', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream({ usage: { input: 100, output: 20, cacheRead: 50 } });
    hub = await createTestGateway({
      yaml: `
plugins: [{ name: auth }, { name: provider-claude }, { name: balancer }, { name: accounting, options: { flushIntervalMs: 20 } }]
providers:
  - { name: alpha, type: claude, url: ${mock.url}, key: sk-ant-routes-a }
users:
  - name: dora
    keys: [{ name: laptop, key: ${KEY} }]
`,
    });
    const res = await fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'x-claude-code-session-id': SESSION },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    await res.text();
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });

  const get = (path: string, auth = true) =>
    fetch(`${hub.url}/api/v1/plugins/accounting${path}`, { headers: auth ? { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } : {} });

  async function json(path: string, status = 200): Promise<Record<string, unknown>> {
    const res = await get(path);
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).to.equal(status);
    return body;
  }

  it('answers 401 without admin authentication, on every route', async () => {
    for (const path of ['/sessions', '/leaderboard', '/providers', '/log']) {
      const res = await get(path, false);
      expect(res.status, path).to.equal(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.be.a('string');
    }
    const wrong = await fetch(`${hub.url}/api/v1/plugins/accounting/log`, { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).to.equal(401);
  });

  it('lists active sessions', async () => {
    const body = await eventually(async () => {
      const b = (await json('/sessions')) as { items: { sessionId: string }[] };
      return b.items.length ? b : undefined;
    }, 'an active session');
    const s = body.items[0] as Record<string, unknown>;
    expect(s.sessionId).to.equal(SESSION);
    expect(s).to.include({ userName: 'dora', keyName: 'laptop', providerName: 'alpha', requests: 1, inputTokens: 100, outputTokens: 20, cacheReadTokens: 50 });
    expect(s.costUsd).to.be.a('string');
  });

  it('ranks usage by every dimension and period, and by a custom range', async () => {
    const entry = await eventually(async () => {
      const b = (await json('/leaderboard?by=user&period=day')) as { entries: Record<string, unknown>[] };
      return b.entries[0];
    }, 'a leaderboard entry');
    expect(entry).to.include({ name: 'dora', requests: 1, inputTokens: 100, cacheReadTokens: 50 });
    expect(entry.cacheHitRate).to.be.closeTo(50 / 150, 1e-9);
    expect(Number(entry.costUsd)).to.be.greaterThan(0);

    for (const by of ['user', 'key', 'provider', 'model']) {
      for (const period of ['day', 'week', 'month']) {
        const b = (await json(`/leaderboard?by=${by}&period=${period}`)) as { by: string; from: string; to: string; entries: unknown[] };
        expect(b.by).to.equal(by);
        expect(b.entries, `${by}/${period}`).to.have.length(1);
      }
    }
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const custom = (await json(`/leaderboard?by=model&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)) as { from: string; entries: { name: string }[] };
    expect(custom.from).to.equal(from);
    expect(custom.entries.map((e) => e.name)).to.deep.equal(['claude-sonnet-4-5']);
    const past = (await json(`/leaderboard?by=model&from=2020-01-01&to=2020-01-02`)) as { entries: unknown[] };
    expect(past.entries).to.deep.equal([]);
  });

  it('answers 400 with a message for bad leaderboard parameters, never 500', async () => {
    const bad = [
      'by=team',
      'by=user&period=year',
      'by=user&from=yesterday',
      'by=user&from=2025-13-45',
      'by=user&to=2025-01-01T00:00:00Z',
      'by=user&from=2025-02-01&to=2025-01-01',
      'by=user&period=day&from=2025-01-01',
      'by=user&limit=0',
      'by=user&limit=abc',
      'by=user&orderBy=name',
      'by=user&by=key',
      "by=user'%3B--",
    ];
    for (const q of bad) {
      const body = (await json(`/leaderboard?${q}`, 400)) as { error: { message: string } };
      expect(body.error.message, q).to.be.a('string').and.not.equal('');
    }
    expect(((await json('/providers?windows=0', 400)) as { error: { message: string } }).error.message).to.match(/windows/);
    expect(((await json('/sessions?limit=-1', 400)) as { error: { message: string } }).error.message).to.match(/limit/);
  });

  it('reports provider status per window', async () => {
    const body = await eventually(async () => {
      const b = (await json('/providers')) as { items: { providerName: string; windows: { requests: number }[] }[] };
      return b.items[0]?.windows[0]?.requests ? b : undefined;
    }, 'provider stats');
    const [alpha] = body.items as unknown as { providerId: number; providerName: string; enabled: boolean; inFlight: number; windows: Record<string, unknown>[] }[];
    expect(alpha).to.include({ providerName: 'alpha', enabled: true, inFlight: 0 });
    expect(alpha!.windows.map((w) => w.minutes)).to.deep.equal([5, 60, 1440]);
    expect(alpha!.windows[0]).to.include({ attempts: 1, successes: 1, failures: 0, successRate: 1, requests: 1 });
    expect(alpha!.windows[0]!.latencyMs).to.have.keys('p50', 'p95', 'p99');
    const custom = (await json('/providers?windows=15,30')) as { items: { windows: { minutes: number }[] }[] };
    expect(custom.items[0]!.windows.map((w) => w.minutes)).to.deep.equal([15, 30]);
  });

  it('reports the log writer', async () => {
    const body = await json('/log');
    expect(body).to.include({ dbHealthy: true, dropped: 0, spooledRows: 0, lastError: null });
    expect(body).to.have.keys('queued', 'spooledRows', 'spoolBytes', 'spoolSegments', 'dropped', 'dbHealthy', 'oldestQueuedMs', 'lastError');
  });

  it('parses leaderboard queries (unit)', () => {
    expect(leaderboardQuery({})).to.deep.equal({ by: 'user' });
    expect(leaderboardQuery({ by: 'key', period: 'week', limit: '5', orderBy: 'tokens' })).to.deep.equal({ by: 'key', period: 'week', limit: 5, orderBy: 'tokens' });
    expect(() => leaderboardQuery({ by: 'nope' })).to.throw(/by must be one of/);
  });
});
