import path from 'node:path';
import { expect } from 'chai';
import { RequestLogEntity, type Candidate, type ProviderRecord, type RoutePlan } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import type { MonitoringService } from '../src/index.ts';
import { createInflightTracker } from '../src/inflight.ts';
import { eventually, settled, waitForRow } from './helpers.ts';

const KEY_A = 'hub_sk_MonitoringTestKeyA00000000000000000001';
const KEY_B = 'hub_sk_MonitoringTestKeyB00000000000000000001';

const yaml = (upstream: string) => `
plugins:
  - name: auth
  - path: ./fixtures/session-from-header
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:
  - name: alpha
    type: claude
    url: ${upstream}
    key: sk-ant-a
  - name: beta
    type: claude
    url: ${upstream}
    key: sk-ant-b
    priority: 5
users:
  - name: dora
    keys: [{ name: laptop, key: ${KEY_A} }]
  - name: eve
    keys: [{ name: ci, key: ${KEY_B} }]
`;

const stores = ['memory', ...(process.env.REDIS_URL ? (['redis'] as const) : [])] as const;

for (const store of stores) {
  describe(`accounting: monitoring service (${store} store)`, function () {
    this.timeout(60_000);
    let mock: MockUpstream;
    let hub: TestGateway;
    let mon: MonitoringService;

    before(async () => {
      // sonnet-4-5: 100×$3 + 20×$15 + 50×$0.30 = 300 + 300 + 15 = 615 µ$ per request
      mock = await createMockUpstream({ usage: { input: 100, output: 20, cacheRead: 50 }, events: 5 });
      hub = await createTestGateway({ yaml: yaml(mock.url), baseDir: path.resolve(import.meta.dirname), store });
      mon = hub.gw.services.monitoring!;
    });
    after(async () => {
      await hub?.close();
      await mock?.close();
    });

    async function send(key: string, session?: string, extra: Record<string, string> = {}) {
      const res = await fetch(`${hub.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, ...(session ? { 'x-test-session': session } : {}), ...extra },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      await res.arrayBuffer();
      return res.headers.get('x-cch-request-id')!;
    }

    it('lists active sessions with who, provider, since when, requests, tokens and cost', async () => {
      await send(KEY_A, 'sess-1');
      await send(KEY_A, 'sess-1');
      await send(KEY_B, 'sess-2');
      await send(KEY_B); // no session: not listed
      const sessions = await eventually(async () => {
        const s = await mon.activeSessions();
        return s.length === 2 && s.find((x) => x.sessionId === 'sess-1')?.requests === 2 ? s : undefined;
      }, 'two sessions');
      expect(sessions[0]!.sessionId).to.equal('sess-2'); // most recent first
      const s1 = sessions.find((x) => x.sessionId === 'sess-1')!;
      expect(s1).to.include({ userName: 'dora', keyName: 'laptop', providerName: 'alpha', model: 'claude-sonnet-4-5', requests: 2, inputTokens: 200, outputTokens: 40, cacheReadTokens: 100, totalTokens: 340, costUsd: '0.00123' });
      expect(Date.parse(s1.startedAt)).to.be.at.most(Date.parse(s1.lastAt));
      expect(Date.now() - Date.parse(s1.startedAt)).to.be.below(60_000);
    });

    it('counts requests in flight per provider while a stream runs', async () => {
      const before = await mon.providerStatus({ windowsMinutes: [5] });
      expect(before.find((p) => p.providerName === 'alpha')!.inFlight).to.equal(0);
      const pending = send(KEY_A, undefined, { 'x-mock-fault': JSON.stringify({ chunkDelayMs: 150 }) });
      await eventually(async () => (await mon.providerStatus({ windowsMinutes: [5] })).find((p) => p.providerName === 'alpha')!.inFlight === 1, 'one in flight');
      const id = await pending;
      await waitForRow(hub, id);
      await eventually(async () => (await mon.providerStatus({ windowsMinutes: [5] })).find((p) => p.providerName === 'alpha')!.inFlight === 0, 'none in flight');
    });

    it('counts each attempt of a route plan against its provider (failover moves the count)', async () => {
      const tracker = createInflightTracker(hub.gw.store, 60_000, (err) => {
        throw err;
      });
      const [alpha, beta] = ['alpha', 'beta'].map((n) => hub.gw.providers.byName(n)!) as [ProviderRecord, ProviderRecord];
      const queue = [alpha, beta];
      const plan: RoutePlan = {
        maxAttempts: 2,
        next: () => {
          const p = queue.shift();
          return p ? ({ provider: p, adapter: {}, model: 'm' } as unknown as Candidate) : undefined;
        },
      };
      const ex = settled({ id: `plan-${store}` });
      tracker.watchPlan(plan, ex);
      const wrapped = plan;
      const counts = async () => Object.fromEntries(await tracker.counts([alpha.id, beta.id]));
      wrapped.next(undefined);
      await eventually(async () => (await counts())[alpha.id] === 1, 'alpha counted');
      wrapped.next({ provider: 'alpha' } as never);
      await eventually(async () => {
        const c = await counts();
        return c[alpha.id] === 0 && c[beta.id] === 1;
      }, 'moved to beta');
      tracker.finish(ex);
      await eventually(async () => (await counts())[beta.id] === 0, 'finished');
    });

    it('ranks users, keys, providers and models over a range, with cache hit rates', async () => {
      const em = hub.gw.db.em();
      const users = await em.getConnection().execute<{ id: number; name: string }[]>('select id, name from cch_user order by name');
      const dora = users.find((u) => u.name === 'dora')!.id;
      const eve = users.find((u) => u.name === 'eve')!.id;
      const keys = await em.getConnection().execute<{ id: number; user_id: number }[]>('select id, user_id from cch_api_key');
      const keyOf = (u: number) => keys.find((k) => k.user_id === u)!.id;
      const base = Date.UTC(2020, 0, 15, 12);
      const row = (n: number, userId: number, provider: string, model: string, cost: string, input: number, cacheRead: number, daysAgo = 0) => ({
        requestId: `lb-${store}-${n}`,
        createdAt: new Date(base - daysAgo * 86_400_000),
        userId,
        keyId: keyOf(userId),
        providerName: provider,
        clientFormat: 'anthropic-messages',
        operation: 'generate',
        model,
        status: 200,
        outcome: 'completed',
        inputTokens: input,
        outputTokens: 10,
        cacheReadTokens: cacheRead,
        costUsd: cost,
        durationMs: 100,
      });
      await em.insertMany(RequestLogEntity, [
        row(1, dora, 'alpha', 'claude-sonnet-4-5', '0.1', 100, 300),
        row(2, dora, 'alpha', 'claude-haiku-4-5', '0.2', 100, 100),
        row(3, eve, 'beta', 'claude-sonnet-4-5', '0.05', 400, 0),
        row(4, eve, 'beta', 'claude-sonnet-4-5', '0.0000000001', 0, 0),
        row(5, eve, 'beta', 'claude-sonnet-4-5', '9', 1, 1, 10), // outside the range
      ] as never[]);
      const range = { from: new Date(base - 86_400_000), to: new Date(base + 1) };

      const byUser = await mon.leaderboard({ by: 'user', ...range });
      expect(byUser.entries.map((e) => [e.name, e.requests, e.costUsd])).to.deep.equal([
        ['dora', 2, '0.3'],
        ['eve', 2, '0.0500000001'],
      ]);
      expect(byUser.entries[0]!.id).to.equal(dora);

      const byKey = await mon.leaderboard({ by: 'key', ...range, orderBy: 'requests' });
      expect(byKey.entries.map((e) => e.name).sort()).to.deep.equal(['dora/laptop', 'eve/ci']);

      const byProvider = await mon.leaderboard({ by: 'provider', ...range });
      const alpha = byProvider.entries.find((e) => e.name === 'alpha')!;
      // cache hit rate = 400 read / (200 input + 400 read)
      expect(alpha.cacheHitRate).to.be.closeTo(400 / 600, 1e-9);
      expect(byProvider.entries.find((e) => e.name === 'beta')!.cacheHitRate).to.equal(0);

      const byModel = await mon.leaderboard({ by: 'model', ...range, orderBy: 'tokens' });
      expect(byModel.entries[0]).to.include({ name: 'claude-sonnet-4-5', requests: 3, inputTokens: 500, cacheReadTokens: 300, totalTokens: 830 });

      const thisMonth = await mon.leaderboard({ by: 'user', period: 'month' });
      expect(Date.parse(thisMonth.from)).to.be.at.most(Date.now());
      expect(thisMonth.entries.find((e) => e.name === 'dora')!.requests).to.be.at.least(3); // live traffic above
      await expectReject(() => mon.leaderboard({ by: 'nope' as never }));
      await expectReject(() => mon.leaderboard({ by: 'user', period: 'year' as never }));
    });

    it('reports provider success rate (per attempt) and latency percentiles', async () => {
      const em = hub.gw.db.em();
      const attempt = (provider: string, errorClass?: string) => ({ provider, providerId: 0, model: 'm', status: errorClass ? 500 : 200, errorClass, latencyMs: 5 });
      const now = Date.now();
      const row = (n: number, provider: string, outcome: string, durationMs: number, attempts: unknown[], ttfbMs: number | null = null) => ({
        requestId: `ps-${store}-${n}`,
        createdAt: new Date(now - 1000),
        providerName: provider,
        clientFormat: 'anthropic-messages',
        operation: 'generate',
        status: outcome === 'completed' ? 200 : 502,
        outcome,
        durationMs,
        ttfbMs,
        decision: { attempts, steps: [] },
      });
      await em.insertMany(RequestLogEntity, [
        row(1, 'gamma', 'completed', 100, [attempt('gamma')], 10),
        row(2, 'gamma', 'completed', 200, [attempt('gamma')], 20),
        row(3, 'gamma', 'completed', 300, [attempt('gamma')], 30),
        row(4, 'delta', 'completed', 1000, [attempt('gamma', 'server'), attempt('delta')]),
        row(5, 'gamma', 'failed', 50, [attempt('gamma', 'client')]), // the caller's fault: not counted
      ] as never[]);
      const status = await mon.providerStatus({ windowsMinutes: [5, 60] });
      const gamma = status.find((p) => p.providerName === 'gamma')!;
      expect(gamma.providerId).to.equal(null); // only seen in the log
      expect(gamma.windows).to.have.length(2);
      const w = gamma.windows[0]!;
      expect(w).to.include({ minutes: 5, attempts: 4, successes: 3, failures: 1, successRate: 0.75, requests: 3 });
      expect(w.latencyMs).to.deep.equal({ p50: 200, p95: 290, p99: 298 });
      expect(w.ttfbMs!.p50).to.equal(20);
      const delta = status.find((p) => p.providerName === 'delta')!.windows[0]!;
      expect(delta).to.include({ attempts: 1, successRate: 1 });
      expect(delta.ttfbMs).to.equal(null);
      const alpha = status.find((p) => p.providerName === 'alpha')!;
      expect(alpha.providerId).to.be.a('number');
      expect(alpha.enabled).to.equal(true);
      expect(status.find((p) => p.providerName === 'beta')!.windows[0]!.attempts).to.equal(0);
    });

    it('exposes the log writer state', () => {
      expect(mon.logStatus()).to.include({ spooledRows: 0, dropped: 0, dbHealthy: true });
    });
  });
}

async function expectReject(fn: () => Promise<unknown>): Promise<void> {
  let failed = false;
  try {
    await fn();
  } catch {
    failed = true;
  }
  expect(failed, 'expected a rejection').to.equal(true);
}
