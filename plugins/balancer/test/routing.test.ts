import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { RequestLogEntity } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';

const KEY = 'hub_sk_BalancerTestKey00000000000000000000000001';

function yaml(a: string, b: string, opts: { priorities: [number, number]; sticky?: boolean }): string {
  return `
plugins:
  - name: auth
  - name: balancer
    options: { maxAttempts: 3${opts.sticky === false ? ', stickyReturnToHigherPriority: false' : ''} }
  - name: circuit-breaker
    options: { failureThreshold: 5, openSeconds: 1, halfOpenSuccesses: 2 }
  - name: accounting
    options: { flushIntervalMs: 20 }
  - name: provider-claude
providers:
  - name: a
    type: claude
    url: ${a}
    key: sk-ant-a
    priority: ${opts.priorities[0]}
    models: ["claude-*"]
    timeouts: { idleMs: 1000, firstByteMs: 2000 }
  - name: b
    type: claude
    url: ${b}
    key: sk-ant-b
    priority: ${opts.priorities[1]}
    models: ["claude-*"]
    timeouts: { idleMs: 1000, firstByteMs: 2000 }
users:
  - name: alice
    keys: [{ name: laptop, key: ${KEY} }]
`;
}

interface Steps {
  attempts: { provider: string; status: number | null; errorClass?: string }[];
  steps: Record<string, unknown>[];
}

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

async function logRow(t: TestGateway, requestId: string) {
  const row = await until(`log row ${requestId}`, () => t.gw.db.em().findOne(RequestLogEntity, { requestId }), (r) => r !== null);
  return row!;
}

async function send(t: TestGateway, o: { session?: string; stream?: boolean; model?: string } = {}) {
  const res = await fetch(`${t.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'x-claude-code-session-id': o.session ?? randomUUID() },
    body: JSON.stringify({ model: o.model ?? 'claude-sonnet-4-5', max_tokens: 16, stream: o.stream ?? false, messages: [{ role: 'user', content: 'hi' }] }),
  });
  const text = await res.text();
  return { res, text, requestId: res.headers.get('x-cch-request-id')! };
}

describe('balancer + circuit breaker through a real hub', function () {
  this.timeout(60_000);
  let mockA: MockUpstream;
  let mockB: MockUpstream;
  let hub: TestGateway;
  let idA: number;
  let idB: number;
  const breaker = () => hub.gw.services.breaker!;

  before(async () => {
    [mockA, mockB] = await Promise.all([createMockUpstream(), createMockUpstream()]);
    hub = await createTestGateway({ yaml: yaml(mockA.url, mockB.url, { priorities: [1, 2] }) });
    idA = hub.gw.providers.byName('a')!.id;
    idB = hub.gw.providers.byName('b')!.id;
  });
  after(async () => {
    await hub?.close();
    await Promise.all([mockA?.close(), mockB?.close()]);
  });
  beforeEach(async () => {
    mockA.reset();
    mockB.reset();
    await breaker().reset(idA);
    await breaker().reset(idB);
  });
  const counts = () => [mockA.requestCount, mockB.requestCount];
  let base: number[];
  beforeEach(() => void (base = counts()));
  const calls = () => counts().map((n, i) => n - base[i]!);

  it('fails over from A (500) to B, and the request log shows both attempts and why', async () => {
    mockA.fail({ status: 500 });
    const { res, requestId } = await send(hub);
    expect(res.status).to.equal(200);
    expect(calls()).to.deep.equal([1, 1]);
    const row = await logRow(hub, requestId);
    expect(row).to.include({ providerName: 'b', attemptCount: 2, status: 200 });
    const d = row.decision as Steps;
    expect(d.attempts.map((a) => [a.provider, a.status, a.errorClass ?? null])).to.deep.equal([
      ['a', 500, 'server'],
      ['b', 200, null],
    ]);
    const steps = d.steps.filter((s) => s.by === 'balancer').map((s) => [s.step, s.provider ?? null, s.how ?? s.outcome ?? null]);
    expect(steps).to.deep.equal([
      ['candidates', null, null],
      ['pick', 'a', 'weighted'],
      ['attempt', 'a', 'failed_over'],
      ['pick', 'b', 'failover'],
      ['attempt', 'b', 'answered'],
    ]);
    const candidates = d.steps[0]!.candidates as { name: string; priority: number }[];
    expect(candidates.map((c) => [c.name, c.priority])).to.deep.equal([
      ['a', 1],
      ['b', 2],
    ]);
    expect(d.steps[1]!.probabilities).to.deep.equal({ a: 1 });
  });

  it('opens A after 5 failures and stops calling it; the decision names the open circuit', async () => {
    mockA.fail({ status: 500 }, 100);
    for (let i = 0; i < 5; i++) expect((await send(hub)).res.status).to.equal(200);
    await until('A open', () => breaker().state(idA), (s) => s.state === 'open');
    let last = '';
    for (let i = 0; i < 5; i++) {
      const r = await send(hub);
      expect(r.res.status).to.equal(200);
      last = r.requestId;
    }
    expect(calls()).to.deep.equal([5, 10]);
    const d = (await logRow(hub, last)).decision as Steps;
    expect(d.steps[0]!.excluded).to.deep.include.members([{ id: idA, name: 'a', reason: 'circuit_open', until: (await breaker().state(idA)).retryAt }]);
  });

  it('after openSeconds sends one probe to A at a time; two successes close it', async () => {
    await breaker().forceOpen(idA, 1);
    expect((await send(hub)).res.status).to.equal(200);
    expect(calls()).to.deep.equal([0, 1]);
    await sleep(1050);
    const first = await send(hub);
    expect(calls()).to.deep.equal([1, 1]);
    const pickStep = ((await logRow(hub, first.requestId)).decision as Steps).steps[1]!;
    expect(pickStep).to.include({ provider: 'a', probe: true });
    await until('probe released', () => breaker().state(idA), (s) => s.state === 'half_open' && s.probes === 0);
    await send(hub);
    await until('A closed', () => breaker().state(idA), (s) => s.state === 'closed');
    expect(calls()).to.deep.equal([2, 1]);
  });

  it('a failed probe reopens A and the request is served by B', async () => {
    await breaker().forceOpen(idA, 1);
    await sleep(1050);
    mockA.fail({ status: 503 });
    const { res } = await send(hub);
    expect(res.status).to.equal(200);
    expect(calls()).to.deep.equal([1, 1]);
    const s = await until('A reopened', () => breaker().state(idA), (x) => x.state === 'open');
    expect(s.retryAt! - Date.now()).to.be.greaterThan(500);
  });

  it('ends a stream that breaks mid-way with an error event, does not retry, and counts the failure', async () => {
    mockA.fail({ reset: 'mid-stream', afterEvents: 2 });
    const { res, text, requestId } = await send(hub, { stream: true });
    expect(res.status).to.equal(200);
    expect(text).to.include('message_start');
    expect(text).to.match(/event: error\ndata: \{"type":"error"/);
    expect(calls()).to.deep.equal([1, 0]);
    const row = await logRow(hub, requestId);
    expect(row).to.include({ outcome: 'failed', attemptCount: 1, providerName: 'a' });
    await until('failure counted', () => breaker().state(idA), (s) => s.failures === 1);
  });

  it('honours Retry-After: A cools down, then is used again', async () => {
    mockA.fail({ status: 429, headers: { 'retry-after': '1' } });
    await send(hub);
    const second = await send(hub);
    expect(calls()).to.deep.equal([1, 2]);
    const d = (await logRow(hub, second.requestId)).decision as Steps;
    expect((d.steps[0]!.excluded as { name: string; reason: string }[]).find((e) => e.name === 'a')).to.include({ reason: 'cooling_down' });
    await sleep(1050);
    await send(hub);
    expect(calls()).to.deep.equal([2, 2]);
  });

  it('answers 503 overloaded with Retry-After when every provider is unavailable, 404 when none serves the model', async () => {
    await breaker().forceOpen(idA, 30);
    await breaker().forceOpen(idB, 10);
    const { res, text } = await send(hub);
    expect(res.status).to.equal(503);
    expect(Number(res.headers.get('retry-after'))).to.be.within(9, 10);
    expect(JSON.parse(text)).to.deep.include({ type: 'error' });
    expect(JSON.parse(text).error.type).to.equal('overloaded_error');
    expect(JSON.parse(text).error.message).to.include('a: circuit open');
    const nf = await send(hub, { model: 'gpt-5' });
    expect(nf.res.status).to.equal(404);
    expect(JSON.parse(nf.text).error.message).to.equal('no provider serves model "gpt-5" for this key');
    expect(calls()).to.deep.equal([0, 0]);
  });

  it('reads a session binding at most every 250 ms and does not rewrite an unchanged one on every request', async () => {
    const store = hub.gw.store;
    const { get, set } = store;
    let gets = 0;
    let sets = 0;
    store.get = (k) => {
      if (k.startsWith('session:')) gets++;
      return get.call(store, k);
    };
    store.set = (k, v, o) => {
      if (k.startsWith('session:')) sets++;
      return set.call(store, k, v, o);
    };
    try {
      const session = randomUUID();
      const t0 = Date.now();
      for (let i = 0; i < 4; i++) expect((await send(hub, { session })).res.status).to.equal(200);
      const quick = Date.now() - t0 < 250;
      if (quick) expect(gets).to.equal(1);
      else expect(gets).to.be.at.most(4);
      expect(sets, 'bound once, not rewritten by every request').to.equal(1);
      expect([String(idA), String(idB)]).to.include(await get.call(store, `session:${session}`));
      // Past the reuse window the binding is read again (another instance may have moved it).
      await sleep(300);
      const before = gets;
      expect((await send(hub, { session })).res.status).to.equal(200);
      expect(gets).to.equal(before + 1);
      expect(sets).to.equal(1);
    } finally {
      store.get = get;
      store.set = set;
    }
  });

  it('moves a session back to the higher-priority provider once it recovers', async () => {
    const session = randomUUID();
    await send(hub, { session });
    await breaker().forceOpen(idA, 60);
    await send(hub, { session });
    await send(hub, { session });
    await breaker().reset(idA);
    const back = await send(hub, { session });
    expect(calls()).to.deep.equal([2, 2]);
    const pickStep = ((await logRow(hub, back.requestId)).decision as Steps).steps[1]!;
    expect(pickStep).to.include({ provider: 'a', reason: 'returned_to_higher_priority' });
  });
});

describe('balancer sticky sessions among equals', function () {
  this.timeout(60_000);
  let mockA: MockUpstream;
  let mockB: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    [mockA, mockB] = await Promise.all([createMockUpstream(), createMockUpstream()]);
    hub = await createTestGateway({ yaml: yaml(mockA.url, mockB.url, { priorities: [1, 1] }) });
  });
  after(async () => {
    await hub?.close();
    await Promise.all([mockA?.close(), mockB?.close()]);
  });

  it('spreads sessions over both providers, keeps each on its provider for 20 requests, and moves it when the provider opens', async () => {
    // 16 sessions all landing on one provider by chance: 1 in 32768. The first four send 20 requests each.
    const sessions = Array.from({ length: 16 }, () => randomUUID());
    const home = new Map<string, 'a' | 'b'>();
    for (const [n, s] of sessions.entries()) {
      for (let i = 0; i < (n < 4 ? 20 : 3); i++) {
        const before = [mockA.requestCount, mockB.requestCount];
        const { res } = await send(hub, { session: s });
        expect(res.status).to.equal(200);
        const served = mockA.requestCount > before[0]! ? 'a' : 'b';
        if (i === 0) home.set(s, served);
        else expect(served, `request ${i} of session ${s}`).to.equal(home.get(s));
      }
    }
    expect(new Set(home.values()).size).to.equal(2, 'sessions landed on both providers');

    const s = sessions[0]!;
    const from = home.get(s)!;
    const to = from === 'a' ? 'b' : 'a';
    const fromId = hub.gw.providers.byName(from)!.id;
    await hub.gw.services.breaker!.forceOpen(fromId, 60);
    const moved = await send(hub, { session: s });
    const d = ((await logRow(hub, moved.requestId)).decision as Steps).steps;
    expect(d[1]).to.include({ provider: to, reason: 'bound_provider_unavailable' });
    await hub.gw.services.breaker!.reset(fromId);
    for (let i = 0; i < 5; i++) {
      const r = await send(hub, { session: s });
      const pickStep = ((await logRow(hub, r.requestId)).decision as Steps).steps[1]!;
      expect(pickStep, 'equal priority: the session stays where it moved').to.include({ provider: to, how: 'session' });
    }
  });
});

describe('balancer without the circuit breaker', function () {
  this.timeout(60_000);
  let mockA: MockUpstream;
  let mockB: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    [mockA, mockB] = await Promise.all([createMockUpstream(), createMockUpstream()]);
    const config = yaml(mockA.url, mockB.url, { priorities: [1, 2] }).replace(/ {2}- name: circuit-breaker\n.*\n/, '');
    hub = await createTestGateway({ yaml: config });
  });
  after(async () => {
    await hub?.close();
    await Promise.all([mockA?.close(), mockB?.close()]);
  });

  it('still fails over and explains itself (the breaker is optional)', async () => {
    expect(hub.gw.services.breaker).to.equal(undefined);
    mockA.fail({ status: 529 });
    const { res, requestId } = await send(hub);
    expect(res.status).to.equal(200);
    expect([mockA.requestCount, mockB.requestCount]).to.deep.equal([1, 1]);
    const row = await logRow(hub, requestId);
    expect(row).to.include({ providerName: 'b', attemptCount: 2 });
  });

  it('returns the last upstream error when every attempt fails', async () => {
    mockA.fail({ status: 500 });
    mockB.fail({ status: 502 });
    const { res, text } = await send(hub);
    expect(res.status).to.equal(502);
    expect(JSON.parse(text).type).to.equal('error');
  });
});
