import { expect } from 'chai';
import { keySubject, providerSubject, userSubject, type Subject } from '../../limits-common/src/index.ts';
import { manualClock, storeCases, type ManualClock, type StoreSubject } from '../../limits-common/test/helpers.ts';
import { createRpmLimiter, rpmKey, RPM_WINDOW_MS, type RpmLimiter } from '../src/limiter.ts';

const T0 = Date.UTC(2025, 0, 6, 12, 0, 0);

const key = (limit?: number, keyId = 7): Subject => keySubject({ keyId, keyName: `k${keyId}`, userId: 42, limits: limit ? { rpm: limit } : {} });
const user = (own?: number, group?: number): Subject =>
  userSubject({ userId: 42, userName: 'alice', groupName: 'senior', user: own ? { rpm: own } : {}, group: group ? { rpm: group } : {} });

for (const sc of storeCases()) {
  describe(`limit-rpm sliding window (${sc.name} store)`, function () {
    let clock: ManualClock;
    let subject: StoreSubject;
    let rpm: RpmLimiter;
    let n = 0;
    const id = () => `req-${++n}`;

    beforeEach(async function () {
      if (sc.problem) throw new Error(sc.problem);
      clock = manualClock(T0);
      subject = await sc.make(clock);
      rpm = createRpmLimiter(subject.store);
    });
    afterEach(async () => subject?.close());

    const hit = (checks: Subject[], at = clock.now()) => rpm.acquire(checks.map((s) => ({ subject: s, limit: s.limits.rpm })), id(), at);

    it('admits exactly the limit within the window, then refuses with the time a slot frees', async () => {
      const k = key(3);
      for (let i = 0; i < 3; i++) {
        const r = await hit([k], T0 + i * 1000);
        expect(r.ok).to.equal(true);
        if (r.ok) expect(r.tightest!.count).to.equal(i + 1);
      }
      const r = await hit([k], T0 + 5000);
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.count).to.equal(3);
        expect(r.freeAtMs).to.equal(T0 + RPM_WINDOW_MS); // the first request leaves the window
      }
    });

    it('is a true sliding window: an entry counts until exactly 60 s later, so no 2x burst at a boundary', async () => {
      const k = key(3);
      // Three requests at the very end of one minute ...
      for (let i = 0; i < 3; i++) expect((await hit([k], T0 + 59_000)).ok).to.equal(true);
      // ... and none more just after the minute turns (a fixed window would allow 3 more here).
      expect((await hit([k], T0 + 60_001)).ok).to.equal(false);
      expect((await hit([k], T0 + 118_999)).ok).to.equal(false);
      // At 59 s + 60 s they have left the window.
      for (let i = 0; i < 3; i++) expect((await hit([k], T0 + 119_000)).ok).to.equal(true);
      expect((await hit([k], T0 + 119_000)).ok).to.equal(false);
    });

    it('refused requests are not logged: they do not push the window further out', async () => {
      const k = key(2);
      await hit([k], T0);
      await hit([k], T0 + 10_000);
      for (let i = 0; i < 50; i++) expect((await hit([k], T0 + 20_000 + i)).ok).to.equal(false);
      const r = await hit([k], T0 + 60_000);
      expect(r.ok).to.equal(true);
      expect((await rpm.peek(k, T0 + 60_000)).count).to.equal(2);
    });

    it('enforces key and user together, all or nothing', async () => {
      const k = key(5);
      const u = user(undefined, 3); // group default of 3
      for (let i = 0; i < 3; i++) expect((await hit([k, u])).ok).to.equal(true);
      const r = await hit([k, u]);
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.check.subject.level).to.equal('user');
        expect(r.check.subject.origin.rpm).to.equal('group');
      }
      // The refusal did not count against the key either.
      expect((await rpm.peek(k, clock.now())).count).to.equal(3);
    });

    it('a user override beats the group default, and a second key of the user shares the user budget', async () => {
      const u = user(2, 100);
      expect(u.limits.rpm).to.equal(2);
      expect((await hit([key(10, 1), u])).ok).to.equal(true);
      expect((await hit([key(10, 2), u])).ok).to.equal(true);
      const r = await hit([key(10, 3), u]);
      expect(r.ok).to.equal(false);
    });

    it('reports the tightest window on success', async () => {
      const k = key(10);
      const u = user(4);
      const r = await hit([k, u]);
      expect(r.ok).to.equal(true);
      if (r.ok) {
        expect(r.tightest!.check.subject.level).to.equal('user');
        expect(r.tightest!.count).to.equal(1);
        expect(r.tightest!.freeAtMs).to.equal(T0 + RPM_WINDOW_MS);
      }
      // Three more against the user (4) leave it with no room; the key (10) still has 6.
      for (let i = 0; i < 2; i++) await hit([k, u], T0 + 1000 + i);
      const last = await hit([k, u], T0 + 5000);
      if (!last.ok) expect.fail('the fourth request fits');
      expect(last.tightest!.check.subject.level).to.equal('user');
      expect(last.tightest!.count).to.equal(4);
    });

    it('records a provider without checking it, and keys stay bounded by their TTL', async () => {
      const p = providerSubject({ id: 4, name: 'q', limits: { rpm: 1 } });
      for (let i = 0; i < 3; i++) await rpm.record(p, id(), T0 + i);
      expect(await rpm.peek(p, T0 + 10)).to.deep.equal({ count: 3, freeAtMs: T0 + RPM_WINDOW_MS });
      expect(await subject.raw.pttl(rpmKey(p))).to.be.greaterThan(60_000);
    });

    it('counts without limiting (providers) and peeks', async () => {
      const p = providerSubject({ id: 3, name: 'p', limits: { rpm: 1 } });
      for (let i = 0; i < 5; i++) expect((await rpm.acquire([{ subject: p, limit: undefined }], id(), T0 + i)).ok).to.equal(true);
      expect(await rpm.peek(p, T0 + 10)).to.deep.equal({ count: 5, freeAtMs: T0 + RPM_WINDOW_MS });
      expect(await rpm.peek(p, T0 + RPM_WINDOW_MS + 4)).to.deep.equal({ count: 0, freeAtMs: undefined });
    });

    it('refuses a call whose subjects live in different hash slots', async () => {
      const other = keySubject({ keyId: 1, keyName: 'x', userId: 43, limits: { rpm: 1 } });
      let err: Error | undefined;
      await hit([key(1), other]).catch((e: Error) => (err = e));
      expect(err?.message).to.match(/hash slot/);
    });
  });
}
