import http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { createLogger, type Services } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { createDelivery, redactUrl, webhookBody, type Alert } from '../src/deliver.ts';
import { createSpendTracker } from '../src/spend.ts';
import { createSpoolWatch } from '../src/spool-watch.ts';

const KEY = 'hub_sk_AlertsTestKey00000000000000000000000001';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown> & { data?: Record<string, unknown> };
}

/** A real webhook receiver on a free port; `failNext(n)` answers the next n posts with 500. */
async function startReceiver() {
  const received: Received[] = [];
  let failures = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received['body'] });
      if (failures > 0) {
        failures--;
        res.writeHead(500).end('nope');
      } else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook/T000/secret-token`,
    received,
    failNext: (n: number) => void (failures = n),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

type FakeBreaker = Services['breaker'] & { fire(event: string, t: unknown): void };

const stores = ['memory', ...(process.env.REDIS_URL ? (['redis'] as const) : [])] as const;

for (const store of stores) {
  describe(`alerts plugin (${store} store)`, function () {
    this.timeout(60_000);
    let mock: MockUpstream;
    let hub: TestGateway;
    let receiver: Awaited<ReturnType<typeof startReceiver>>;

    before(async () => {
      receiver = await startReceiver();
      // claude-sonnet-4-5: 21×$3 + 7×$15 + 4×$3.75 + 9×$0.30 = 63 + 105 + 15 + 2.7 = 185.7 µ$ per request
      mock = await createMockUpstream({ usage: { input: 21, output: 7, cacheCreation: 4, cacheRead: 9 } });
      hub = await createTestGateway({
        store,
        baseDir: path.resolve(import.meta.dirname),
        yaml: `
plugins:
  - name: auth
  - path: ./fixtures/fake-breaker
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20 }
  - name: alerts
    options:
      webhookUrl: ${receiver.url}
      headers: { authorization: "Bearer hook-secret" }
      retries: 3
      retryBaseMs: 20
providers:
  - name: claude-mock
    type: claude
    url: ${mock.url}
    key: sk-ant-x
    limits: { usd5h: 0.002 }
users:
  - name: hana
    limits: { usdDaily: 0.001 }
    keys:
      - name: k
        key: ${KEY}
        limits: { usdDaily: 0.01 }
`,
      });
    });
    after(async () => {
      await hub?.close();
      await mock?.close();
      await receiver?.close();
    });

    async function send(n: number) {
      for (let i = 0; i < n; i++) {
        const res = await fetch(`${hub.url}/v1/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': KEY },
          body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
        });
        expect(res.status).to.equal(200);
        await res.arrayBuffer();
      }
    }

    it('alerts once, and only once, per window when spend reaches 80% of a USD limit', async () => {
      // user: 80% of $0.001 = $0.0008 → the 5th request (5 × 185.7 µ$ = 928.5 µ$)
      // provider usd5h: 80% of $0.002 = $0.0016 → the 9th request (1671.3 µ$); key: 80% of $0.01 never
      await send(4);
      await sleep(150);
      expect(receiver.received).to.have.length(0);
      await send(8);
      await until(() => receiver.received.length >= 2, 'two alerts');
      await send(5);
      await sleep(300);
      await hub.gw.services.alerts!.idle();
      const usd = receiver.received.filter((r) => r.body.type === 'usd_threshold');
      expect(usd).to.have.length(2);
      const user = usd.find((r) => r.body.data!.level === 'user')!;
      expect(user.body).to.include({ source: 'claude-code-hub', severity: 'warning' });
      expect(user.body.message).to.equal('User "hana" reached 92% of its daily USD limit: $0.0009 of $0.001');
      expect(user.body.data).to.include({ subject: 'hana', window: 'usdDaily', limitUsd: 0.001, spentUsd: '0.0009285', share: 0.8 });
      expect(user.headers.authorization).to.equal('Bearer hook-secret');
      expect(user.headers['content-type']).to.match(/application\/json/);
      const provider = usd.find((r) => r.body.data!.level === 'provider')!;
      expect(provider.body.data).to.include({ subject: 'claude-mock', window: 'usd5h', spentUsd: '0.0016713', windowEnd: null });
      const recent = hub.gw.services.alerts!.recent();
      expect(recent.filter((a) => a.type === 'usd_threshold').map((a) => a.delivery.status)).to.deep.equal(['delivered', 'delivered']);
    });

    it('alerts when a circuit opens, once per opening', async () => {
      receiver.received.length = 0;
      const breaker = hub.gw.services.breaker as FakeBreaker;
      const t = { event: 'opened', providerId: 7, provider: 'claude-mock', failures: 5, openedAt: Date.now(), retryAt: Date.now() + 60_000, at: Date.now() };
      breaker.fire('opened', t);
      breaker.fire('opened', t); // the same opening reported twice
      breaker.fire('closed', { ...t, event: 'closed' });
      await until(() => receiver.received.length >= 1, 'circuit alert');
      await sleep(150);
      await hub.gw.services.alerts!.idle();
      expect(receiver.received).to.have.length(1);
      expect(receiver.received[0]!.body).to.include({ type: 'circuit_opened', severity: 'critical' });
      expect(receiver.received[0]!.body.message).to.match(/^Circuit opened for provider "claude-mock" after 5 failure\(s\); probes resume at /);
      breaker.fire('opened', { ...t, openedAt: t.openedAt + 120_000 }); // a later opening
      await until(() => receiver.received.length >= 2, 'second circuit alert');
    });

    it('retries a failing webhook with backoff and records the attempts', async () => {
      const alerts = hub.gw.services.alerts!;
      receiver.received.length = 0;
      receiver.failNext(2);
      const a = await alerts.emit({ message: 'hello', data: { n: 1 } });
      expect(a.delivery).to.include({ status: 'delivered', attempts: 3 });
      expect(receiver.received).to.have.length(3);
      receiver.failNext(10);
      const b = await alerts.emit({ message: 'never arrives', severity: 'critical' });
      expect(b.delivery).to.include({ status: 'failed', attempts: 4, error: 'HTTP 500' });
      receiver.failNext(0);
      expect(alerts.recent(2).map((x) => x.message)).to.deep.equal(['never arrives', 'hello']);
    });
  });
}

describe('alerts: parts', function () {
  this.timeout(30_000);
  let hub: TestGateway;
  before(async () => {
    hub = await createTestGateway({ yaml: 'plugins: []\n' });
  });
  after(async () => {
    await hub?.close();
  });

  it('spend tracker: a new calendar window (or a raised limit) can alert again; 5 h windows roll', async () => {
    let now = Date.parse('2026-03-10T12:00:00Z');
    const tracker = createSpendTracker(hub.gw.store, { share: 0.8, timezone: 'UTC', clock: { now: () => now } });
    const user = (limits: Record<string, number>) => [{ level: 'user' as const, id: 4242, name: 'ivy', limits }];
    expect(await tracker.record(user({ usdDaily: 1 }), '0.5')).to.deep.equal([]);
    const [first] = await tracker.record(user({ usdDaily: 1 }), '0.3');
    expect(first).to.include({ window: 'usdDaily', windowId: '2026-03-10', spentUsd: '0.8', limitUsd: 1 });
    expect(await tracker.record(user({ usdDaily: 1 }), '0.15')).to.deep.equal([]);
    now += 86_400_000; // next day
    expect(await tracker.record(user({ usdDaily: 1 }), '0.7')).to.deep.equal([]);
    const [second] = await tracker.record(user({ usdDaily: 1 }), '0.1');
    expect(second).to.include({ windowId: '2026-03-11', spentUsd: '0.8' });
    const [raised] = await tracker.record(user({ usdDaily: 2 }), '0.8'); // 1.6 of a new $2 limit
    expect(raised).to.include({ limitUsd: 2, spentUsd: '1.6' });

    expect(await tracker.record(user({ usd5h: 1 }), '0.5')).to.deep.equal([]);
    now += 5 * 3_600_000 + 6 * 60_000; // the first half dollar has left the window
    expect(await tracker.record(user({ usd5h: 1 }), '0.5')).to.deep.equal([]);
    const [rolling] = await tracker.record(user({ usd5h: 1 }), '0.3');
    expect(rolling).to.include({ window: 'usd5h', spentUsd: '0.8' });
  });

  it('spool watch: starts, grows tenfold, drops, drains', () => {
    const watch = createSpoolWatch(1);
    const s = (spooledRows: number, dropped = 0) => ({ spooledRows, spoolBytes: spooledRows * 100, dropped, dbHealthy: spooledRows === 0, lastError: undefined });
    expect(watch(s(0))).to.equal(undefined);
    expect(watch(s(5))?.severity).to.equal('warning');
    expect(watch(s(40))).to.equal(undefined);
    expect(watch(s(50))?.message).to.match(/still growing: 50 row/);
    expect(watch(s(60, 3))?.message).to.match(/3 row\(s\) dropped/);
    expect(watch(s(0, 3))?.severity).to.equal('info');
    expect(watch(s(0, 3))).to.equal(undefined);
  });

  it('slack format and redaction of the webhook URL', async () => {
    const receiver = await startReceiver();
    try {
      const alert: Alert = { id: 'x', type: 'custom', severity: 'critical', at: new Date().toISOString(), message: 'Boom', data: { provider: 'p', n: 2, nested: { a: 1 } }, delivery: { status: 'pending', attempts: 0 } };
      expect(webhookBody(alert, 'slack')).to.have.property('text', ':rotating_light: Boom');
      expect(webhookBody(alert, 'json')).to.not.have.property('delivery');
      expect(redactUrl(receiver.url)).to.not.include('secret-token');
      const d = createDelivery({ url: receiver.url, format: 'slack', headers: {}, retries: 0, retryBaseMs: 10, timeoutMs: 2000 }, createLogger({ level: 'silent' }));
      await d.send(alert);
      expect(alert.delivery.status).to.equal('delivered');
      expect(receiver.received[0]!.body.text).to.equal(':rotating_light: Boom');
      expect(JSON.stringify(receiver.received[0]!.body.blocks)).to.include('*provider*: p');
      const none: Alert = { ...alert, delivery: { status: 'pending', attempts: 0 } };
      await createDelivery({ url: undefined, format: 'json', headers: {}, retries: 0, retryBaseMs: 10, timeoutMs: 100 }, createLogger({ level: 'silent' })).send(none);
      expect(none.delivery.status).to.equal('disabled');
    } finally {
      await receiver.close();
    }
  });
});
