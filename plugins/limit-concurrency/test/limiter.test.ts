import { expect } from 'chai';
import type { Limits } from '@cch/core';
import { keySubject, providerSubject, userSubject, type Subject } from '../../limits-common/src/index.ts';
import { manualClock, storeCases, type ManualClock, type StoreSubject } from '../../limits-common/test/helpers.ts';
import { createConcurrencyLimiter, type ConcurrencyLimiter } from '../src/limiter.ts';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);
const IDLE = 300_000;
const LEASE = 1_800_000;

const key = (limits: Limits): Subject => keySubject({ keyId: 7, keyName: 'laptop', userId: 42, limits });
const user = (own: Limits, group: Limits = {}): Subject => userSubject({ userId: 42, userName: 'alice', groupName: 'intern', user: own, group });

for (const sc of storeCases()) {
  describe(`limit-concurrency counters (${sc.name} store)`, function () {
    let clock: ManualClock;
    let subject: StoreSubject;
    let cc: ConcurrencyLimiter;

    beforeEach(async function () {
      if (sc.problem) throw new Error(sc.problem);
      clock = manualClock(T0);
      subject = await sc.make(clock);
      cc = createConcurrencyLimiter(subject.store, { sessionIdleMs: IDLE, leaseMs: LEASE });
    });
    afterEach(async () => subject?.close());

    const start = (s: Subject[], req: string, session: string) =>
      cc.acquire(s.map((x) => ({ subject: x, requests: x.limits.concurrentRequests, sessions: x.limits.concurrentSessions })), req, session, clock.now());
    const end = (s: Subject[], req: string, session: string) => cc.release(s, req, session, clock.now());

    it('refuses a third session while two are active, and lets an active session keep working', async () => {
      const k = key({ concurrentSessions: 2 });
      expect((await start([k], 'r1', 'A')).ok).to.equal(true);
      expect((await start([k], 'r2', 'B')).ok).to.equal(true);
      const r = await start([k], 'r3', 'C');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r).to.include({ kind: 'sessions', count: 2 });
      expect((await start([k], 'r4', 'A')).ok).to.equal(true); // existing session, second request
      expect((await cc.peek(k, 'A', clock.now())).requests).to.equal(3);
    });

    it('a session stays active for the idle window after its last request, then frees its slot', async () => {
      const k = key({ concurrentSessions: 1 });
      await start([k], 'r1', 'A');
      await start([k], 'r2', 'A');
      clock.advance(10_000);
      await end([k], 'r1', 'A');
      expect((await start([k], 'x', 'B')).ok).to.equal(false); // A still has r2 in flight
      await end([k], 'r2', 'A');
      clock.advance(IDLE - 1);
      const r = await start([k], 'x', 'B');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.earliestExpiryMs).to.equal(clock.now() + 1);
      clock.advance(1);
      expect((await start([k], 'x', 'B')).ok).to.equal(true);
      expect(await cc.peek(k, 'A', clock.now())).to.deep.equal({ requests: 1, sessions: 1, sessionActive: false });
    });

    it('caps requests in flight per key, whatever the session', async () => {
      const k = key({ concurrentRequests: 2 });
      expect((await start([k], 'r1', 'A')).ok).to.equal(true);
      expect((await start([k], 'r2', 'A')).ok).to.equal(true);
      const r = await start([k], 'r3', 'A');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.kind).to.equal('requests');
      await end([k], 'r1', 'A');
      expect((await start([k], 'r3', 'A')).ok).to.equal(true);
    });

    it('a request that is never released (crashed instance) stops counting when its lease expires', async () => {
      const k = key({ concurrentRequests: 1, concurrentSessions: 1 });
      await start([k], 'lost', 'A');
      clock.advance(LEASE - 1);
      expect((await start([k], 'r', 'A')).ok).to.equal(false);
      clock.advance(1);
      expect(await cc.peek(k, 'A', clock.now())).to.deep.equal({ requests: 0, sessions: 0, sessionActive: false });
      expect((await start([k], 'r', 'B')).ok).to.equal(true);
      // The late release of the lost request does not disturb B's count.
      await end([k], 'lost', 'A');
      expect((await cc.peek(k, 'B', clock.now())).requests).to.equal(1);
    });

    it('releasing twice does not free another request’s slot', async () => {
      const k = key({ concurrentSessions: 1 });
      await start([k], 'r1', 'A');
      await start([k], 'r2', 'A');
      await end([k], 'r1', 'A');
      await end([k], 'r1', 'A');
      clock.advance(IDLE + 1);
      // r2 still runs, so A is active and B must wait.
      expect((await start([k], 'x', 'B')).ok).to.equal(false);
    });

    it('checks key and user together, all or nothing; users inherit the group limit', async () => {
      const k = key({ concurrentRequests: 5 });
      const u = user({}, { concurrentSessions: 1 });
      expect((await start([k, u], 'r1', 'A')).ok).to.equal(true);
      const r = await start([k, u], 'r2', 'B');
      expect(r.ok).to.equal(false);
      if (!r.ok) expect([r.check.subject.level, r.check.subject.origin.concurrentSessions]).to.deep.equal(['user', 'group']);
      expect((await cc.peek(k, 'B', clock.now())).requests).to.equal(1); // the refused request holds nothing
    });

    it('counts provider sessions without limiting and reports whether a session is active there', async () => {
      const p = providerSubject({ id: 9, name: 'p', limits: { concurrentSessions: 1 } });
      await cc.acquire([{ subject: p, requests: undefined, sessions: undefined }], 'r1', 'A', clock.now());
      await cc.acquire([{ subject: p, requests: undefined, sessions: undefined }], 'r2', 'B', clock.now());
      expect(await cc.peek(p, 'A', clock.now())).to.deep.equal({ requests: 2, sessions: 2, sessionActive: true });
      expect((await cc.peek(p, 'C', clock.now())).sessionActive).to.equal(false);
    });
  });
}
