import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createLogger, createMemoryStore, createRedisStore, type AttemptRecord, type SettledExchange, type Store } from '@cch/core';
import { createBreaker, settledOutcome, type Breaker, type BreakerOptions, type BreakerTransition } from '../src/index.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUIRE_REDIS = process.env.CCH_REQUIRE_REDIS === '1';
const OPTIONS: BreakerOptions = { failureThreshold: 3, openSeconds: 10, halfOpenSuccesses: 2, halfOpenMaxProbes: 1 };

function manualClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function attempt(providerId: number, status: number | undefined, errorClass?: AttemptRecord['errorClass']): AttemptRecord {
  return { provider: `p${providerId}`, providerId, model: 'm', status, errorClass, error: errorClass, latencyMs: 1 };
}

/** A logger that remembers warnings, to check "logged once". */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) } });
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

type StoreFactory = (clock: { now(): number }) => Promise<Store>;

function breakerSuite(kind: string, makeStore: StoreFactory) {
  describe(`circuit breaker over the ${kind} store`, function () {
    let store: Store;
    let clock: ReturnType<typeof manualClock>;
    let breaker: Breaker;
    let events: BreakerTransition[];
    let id: number;

    beforeEach(async () => {
      clock = manualClock();
      store = await makeStore(clock);
      breaker = createBreaker({ store, options: OPTIONS, logger: createLogger({ level: 'silent' }), clock, providers: () => [{ id, name: 'alpha' }] });
      events = [];
      for (const e of ['opened', 'half_open', 'closed'] as const) breaker.on(e, (t) => events.push(t));
      id = 1000 + Math.floor(Math.random() * 1e6);
    });
    afterEach(async () => {
      await store.del(`circuit:${id}`);
      await breaker.close();
      await store.close();
    });

    it('opens after failureThreshold consecutive failures; a success in between starts the count again', async () => {
      await breaker.record(id, 'failure');
      await breaker.record(id, 'failure');
      await breaker.record(id, 'success');
      expect(await breaker.state(id)).to.deep.equal({ state: 'closed', failures: 0 });
      await breaker.record(id, 'failure');
      await breaker.record(id, 'failure');
      expect((await breaker.state(id)).failures).to.equal(2);
      expect(await breaker.allow(id)).to.equal(true);
      await breaker.record(id, 'failure');
      const s = await breaker.state(id);
      expect(s).to.include({ state: 'open', failures: 3, openedAt: clock.now(), retryAt: clock.now() + 10_000 });
      expect(await breaker.allow(id)).to.equal(false);
      expect(events.map((e) => e.event)).to.deep.equal(['opened']);
      expect(events[0]).to.include({ providerId: id, provider: 'alpha', failures: 3 });
    });

    it('does not count client errors, not-found or client aborts', async () => {
      for (const a of [attempt(id, 400, 'client'), attempt(id, 404, 'not_found'), attempt(id, undefined)]) await breaker.recordAttempt(a);
      for (let i = 0; i < 5; i++) await breaker.record(id, 'neutral');
      expect(await breaker.state(id)).to.deep.equal({ state: 'closed', failures: 0 });
      await breaker.recordAttempt(attempt(id, 529, 'overloaded'));
      expect((await breaker.state(id)).failures).to.equal(1);
    });

    it('counts each attempt object once, however often it is reported', async () => {
      const a = attempt(id, 500, 'server');
      await breaker.recordAttempt(a);
      await breaker.recordAttempt(a);
      await breaker.countAttempt(a, 'failure');
      expect((await breaker.state(id)).failures).to.equal(1);
    });

    it('after openSeconds lets halfOpenMaxProbes probes through; halfOpenSuccesses successes close it', async () => {
      await breaker.forceOpen(id);
      clock.advance(9_999);
      expect(await breaker.allow(id, 'x1')).to.equal(false);
      clock.advance(1);
      expect((await breaker.state(id)).state).to.equal('half_open');
      expect(await breaker.allow(id, 'probe-1')).to.equal(true);
      expect(await breaker.allow(id, 'probe-1')).to.equal(true, 'the same holder asking again keeps its slot');
      expect(await breaker.allow(id, 'probe-2')).to.equal(false, 'one probe at a time');
      expect((await breaker.state(id)).probes).to.equal(1);
      await breaker.record(id, 'success', 'probe-1');
      expect((await breaker.state(id)).state).to.equal('half_open');
      expect(await breaker.allow(id, 'probe-2')).to.equal(true, 'the slot was released');
      await breaker.record(id, 'success', 'probe-2');
      expect(await breaker.state(id)).to.deep.equal({ state: 'closed', failures: 0 });
      expect(events.map((e) => e.event)).to.deep.equal(['opened', 'half_open', 'closed']);
    });

    it('one failed probe reopens the circuit for another openSeconds', async () => {
      await breaker.forceOpen(id, 5);
      clock.advance(5_000);
      expect(await breaker.allow(id, 'p')).to.equal(true);
      await breaker.record(id, 'failure', 'p');
      expect(await breaker.state(id)).to.include({ state: 'open', openedAt: clock.now(), retryAt: clock.now() + 10_000 });
      expect(await breaker.allow(id, 'q')).to.equal(false);
      expect(events.map((e) => e.event)).to.deep.equal(['opened', 'half_open', 'opened']);
    });

    it('a late result of a request sent before the circuit opened changes nothing', async () => {
      await breaker.forceOpen(id);
      await breaker.record(id, 'success');
      await breaker.record(id, 'failure');
      expect(await breaker.state(id)).to.include({ state: 'open', failures: 0, retryAt: clock.now() + 10_000 });
    });

    it('reclaims a probe slot whose outcome never arrives (lease), and release() frees one at once', async () => {
      await breaker.forceOpen(id, 1);
      clock.advance(1_000);
      expect(await breaker.allow(id, 'lost')).to.equal(true);
      expect(await breaker.allow(id, 'other')).to.equal(false);
      clock.advance(120_001);
      expect(await breaker.allow(id, 'other')).to.equal(true);
      await breaker.release('other');
      expect(await breaker.allow(id, 'third')).to.equal(true);
    });

    it('reset closes and forgets; forceOpen opens for the given seconds', async () => {
      await breaker.record(id, 'failure');
      await breaker.forceOpen(id, 30);
      expect(await breaker.state(id)).to.include({ state: 'open', failures: 1, retryAt: clock.now() + 30_000 });
      await breaker.reset(id);
      expect(await breaker.state(id)).to.deep.equal({ state: 'closed', failures: 0 });
      expect(events.map((e) => e.event)).to.deep.equal(['opened', 'closed']);
      const snap = await breaker.snapshot();
      expect(snap.storage).to.equal('shared');
      expect(snap.providers).to.deep.equal([{ providerId: id, provider: 'alpha', state: 'closed', failures: 0 }]);
    });

    it('keeps no state for a healthy provider', async () => {
      await breaker.record(id, 'failure');
      await breaker.record(id, 'success');
      expect(await store.hgetall(`circuit:${id}`)).to.deep.equal({});
    });
  });
}

breakerSuite('memory', async (clock) => createMemoryStore({ clock }));

const prefix = `cch-test-cb-${randomBytes(4).toString('hex')}:`;
const redisProblem = await createRedisStore({ url: REDIS_URL, prefix }).then(
  async (s) => void (await s.close()),
  (e: unknown) => (e instanceof Error ? e.message : String(e)),
);

if (redisProblem === undefined) {
  breakerSuite('redis', () => createRedisStore({ url: REDIS_URL, prefix }));

  describe('circuit breaker over redis: sharing and outages', function () {
    after(async () => {
      const s = await createRedisStore({ url: REDIS_URL, prefix });
      const keys = await s.scan('*', 10_000);
      if (keys.length) await s.del(...keys);
      await s.close();
    });

    it('two instances on one Redis see the same state and one probe slot between them', async () => {
      const clock = manualClock();
      const [s1, s2] = await Promise.all([createRedisStore({ url: REDIS_URL, prefix }), createRedisStore({ url: REDIS_URL, prefix })]);
      const silent = createLogger({ level: 'silent' });
      const b1 = createBreaker({ store: s1, options: OPTIONS, logger: silent, clock });
      const b2 = createBreaker({ store: s2, options: OPTIONS, logger: silent, clock });
      const opened: number[] = [];
      b1.on('opened', () => opened.push(1));
      b2.on('opened', () => opened.push(2));
      const id = 77;
      await b1.reset(id);
      await b1.record(id, 'failure');
      await b2.record(id, 'failure');
      await b1.record(id, 'failure');
      expect((await b2.state(id)).state).to.equal('open');
      expect(opened).to.deep.equal([1], 'the transition is reported once, by the instance that made it');
      clock.advance(10_000);
      const grants = await Promise.all([b1.allow(id, 'a'), b2.allow(id, 'b')]);
      expect(grants.filter(Boolean)).to.have.length(1);
      await Promise.all([b1.close(), b2.close(), s1.close(), s2.close()]);
    });

    it('a success on a circuit seen clean costs no store write; once another instance\'s failures are read, it resets them', async () => {
      const clock = manualClock();
      const [s1, s2] = await Promise.all([createRedisStore({ url: REDIS_URL, prefix }), createRedisStore({ url: REDIS_URL, prefix })]);
      const silent = createLogger({ level: 'silent' });
      const b1 = createBreaker({ store: s1, options: OPTIONS, logger: silent, clock });
      const b2 = createBreaker({ store: s2, options: OPTIONS, logger: silent, clock });
      const id = 78;
      await b2.reset(id); // b2 now knows the circuit as clean
      await b1.record(id, 'failure');
      await b1.record(id, 'failure');
      // b2 saw it clean a moment ago: its success is not written, the failures stand — also when
      // it comes with a request id that holds no probe (as settle reports every attempt).
      await b2.record(id, 'success');
      await b2.record(id, 'success', 'req-without-probe');
      expect((await b1.state(id)).failures).to.equal(2);
      // Once b2 reads the state (as the balancer does while routing), its next success resets the count.
      expect((await b2.state(id)).failures).to.equal(2);
      await b2.record(id, 'success');
      expect((await b1.state(id)).failures).to.equal(0);
      // And after the reuse period a success is written again even without a read.
      await b1.record(id, 'failure');
      clock.advance(1500);
      await b2.record(id, 'success');
      expect((await b1.state(id)).failures).to.equal(0);
      await Promise.all([b1.close(), b2.close(), s1.close(), s2.close()]);
    });

    it('fails open to per-instance state when Redis is unreachable, logs it once and says so in the snapshot', async () => {
      const clock = manualClock();
      const dead = await createRedisStore({ url: REDIS_URL, prefix });
      await dead.close(); // every call now rejects, as during an outage
      const { logger, warnings } = recordingLogger();
      const b = createBreaker({ store: dead, options: OPTIONS, logger, clock });
      expect(await b.allow(5)).to.equal(true);
      expect(await b.state(5)).to.deep.equal({ state: 'closed', failures: 0 });
      for (let i = 0; i < 3; i++) await b.record(5, 'failure');
      expect((await b.state(5)).state).to.equal('open', 'the local state still works');
      clock.advance(6_000); // past the retry delay: the shared store is tried again, fails, local state goes on
      expect((await b.state(5)).state).to.equal('open');
      const snap = await b.snapshot();
      expect(snap.storage).to.equal('local');
      expect(snap.storageDegradedSince).to.be.a('number');
      expect(warnings().filter((m) => m.includes('store unavailable'))).to.have.length(1);
      await b.close();
    });
  });
} else if (REQUIRE_REDIS) {
  describe('circuit breaker over redis', function () {
    it('needs a reachable Redis (CCH_REQUIRE_REDIS=1)', function () {
      throw new Error(`Redis is required but unreachable at ${REDIS_URL}: ${redisProblem}`);
    });
  });
} else {
  console.warn(`circuit-breaker Redis tests skipped: no Redis at ${REDIS_URL} (${redisProblem})`);
  describe.skip('circuit breaker over redis (skipped: no Redis)', () => it('runs against Redis', () => {}));
}

describe('settled outcome of an attempt', function () {
  const ex = (outcome: SettledExchange['outcome'], errorClass?: string) => ({ outcome, errorClass }) as SettledExchange;
  it('a stream cut after the first byte counts against the provider that served it', () => {
    expect(settledOutcome(ex('failed', 'network'), attempt(1, 200), true)).to.equal('failure');
    expect(settledOutcome(ex('failed', 'timeout'), attempt(1, 200), true)).to.equal('failure');
  });
  it('a client abort does not count; earlier failed attempts still do', () => {
    expect(settledOutcome(ex('aborted'), attempt(1, 200), true)).to.equal('neutral');
    expect(settledOutcome(ex('aborted'), attempt(1, 500, 'server'), false)).to.equal('failure');
  });
  it('a completed exchange: success; a client error passed through: neutral', () => {
    expect(settledOutcome(ex('completed'), attempt(1, 200), true)).to.equal('success');
    expect(settledOutcome(ex('failed', 'client'), attempt(1, 400, 'client'), true)).to.equal('neutral');
  });
});
