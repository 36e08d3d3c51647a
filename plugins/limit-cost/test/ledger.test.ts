import { expect } from 'chai';
import type { Limits } from '@cch/core';
import { counterKey, keySubject, providerSubject, toMicros, userSubject, type Subject } from '../../limits-common/src/index.ts';
import { manualClock, storeCases, type ManualClock, type StoreSubject } from '../../limits-common/test/helpers.ts';
import { createLedger, FIVE_HOURS_MS, type Ledger } from '../src/ledger.ts';
import { budgetRejection } from '../src/messages.ts';

const TZ = 'Asia/Shanghai'; // UTC+8: local midnight is 16:00Z
const HOUR = 3_600_000;
const RES_TTL = 30 * 60_000;
const usd = toMicros;

const key = (limits: Limits): Subject => keySubject({ keyId: 7, keyName: 'laptop', userId: 42, limits });
const user = (own: Limits, group: Limits = {}): Subject => userSubject({ userId: 42, userName: 'alice', groupName: 'senior', user: own, group });

for (const sc of storeCases()) {
  describe(`limit-cost ledger (${sc.name} store)`, function () {
    let clock: ManualClock;
    let subject: StoreSubject;
    let ledger: Ledger;
    let n = 0;
    const id = () => `req-${++n}`;

    beforeEach(async function () {
      if (sc.problem) throw new Error(sc.problem);
      clock = manualClock(Date.parse('2025-03-05T04:00:00Z'));
      subject = await sc.make(clock);
      ledger = createLedger(subject.store, { timezone: TZ, resetMinutes: 0, reservationTtlMs: RES_TTL });
    });
    afterEach(async () => subject?.close());

    /** Reserve and settle one request at `at`, costing `cost` USD. */
    async function spend(subjects: Subject[], cost: number, at = clock.now()) {
      const rid = id();
      const r = await ledger.reserve(subjects, rid, usd(cost), at);
      if (r.ok) await ledger.settle(subjects.map((s) => ({ subject: s, track5h: true })), rid, usd(cost), at, at);
      return r;
    }

    it('admits while spend is under the limit, refuses at the limit, and reports the window end', async () => {
      const k = key({ usdDaily: 1 });
      for (let i = 0; i < 3; i++) expect((await spend([k], 0.3)).ok).to.equal(true);
      expect((await spend([k], 0.3)).ok).to.equal(true); // 0.90 < 1.00: still admitted, ends at 1.20
      const r = await ledger.reserve([k], id(), usd(0.3), clock.now());
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.violations).to.have.length(1);
        expect(r.violations[0]).to.include({ dimension: 'usdDaily', settledMicros: usd(1.2), limitMicros: usd(1), heldOnly: false });
        expect(new Date(r.violations[0]!.resetAtMs!).toISOString()).to.equal('2025-03-05T16:00:00.000Z');
      }
    });

    it('daily window: 23:59:59 local counts toward today, 00:00:00 local starts fresh (monthly keeps both)', async () => {
      const k = key({ usdDaily: 1, usdMonthly: 10 });
      clock.set(Date.parse('2025-03-05T15:59:59Z')); // 23:59:59 local
      expect((await spend([k], 1)).ok).to.equal(true);
      expect((await ledger.reserve([k], id(), 0, clock.now())).ok).to.equal(false);
      clock.set(Date.parse('2025-03-05T16:00:00Z')); // 00:00:00 local
      const r = await ledger.read(k, clock.now());
      expect(r.settled.usdDaily).to.equal(0);
      expect(r.settled.usdMonthly).to.equal(usd(1));
      expect((await spend([k], 0.5)).ok).to.equal(true);
    });

    it('weekly window rolls over on Monday 00:00 local', async () => {
      const k = key({ usdWeekly: 2 });
      clock.set(Date.parse('2025-03-09T15:59:59Z')); // Sunday 23:59:59 local
      expect((await spend([k], 2.5)).ok).to.equal(true);
      expect((await ledger.reserve([k], id(), 0, clock.now())).ok).to.equal(false);
      clock.set(Date.parse('2025-03-09T16:00:00Z')); // Monday 00:00 local
      expect((await ledger.read(k, clock.now())).settled.usdWeekly).to.equal(0);
      expect((await spend([k], 0.1)).ok).to.equal(true);
    });

    it('monthly window rolls over at the month end, local time', async () => {
      const k = key({ usdMonthly: 5 });
      clock.set(Date.parse('2025-02-28T15:59:59Z')); // Feb 28 23:59:59 local
      expect((await spend([k], 5)).ok).to.equal(true);
      const r = await ledger.reserve([k], id(), 0, clock.now());
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(new Date(r.violations[0]!.resetAtMs!).toISOString()).to.equal('2025-02-28T16:00:00.000Z');
      clock.set(Date.parse('2025-02-28T16:00:00Z')); // Mar 1 00:00 local
      expect((await spend([k], 1)).ok).to.equal(true);
    });

    it('rolling 5 h: spend counts until exactly 5 h after it settled, and the refusal says when it frees', async () => {
      const k = key({ usd5h: 1 });
      const t = clock.now();
      await spend([k], 0.6, t);
      await spend([k], 0.6, t + HOUR);
      const r = await ledger.reserve([k], id(), 0, t + 2 * HOUR);
      expect(r.ok).to.equal(false);
      // Dropping the first 0.60 brings 1.20 under 1.00: at t + 5 h.
      if (!r.ok) expect(r.violations[0]).to.include({ dimension: 'usd5h', resetAtMs: t + FIVE_HOURS_MS });
      expect((await ledger.read(k, t + FIVE_HOURS_MS - 1)).settled.usd5h).to.equal(usd(1.2));
      expect((await ledger.read(k, t + FIVE_HOURS_MS)).settled.usd5h).to.equal(usd(0.6));
      expect((await ledger.reserve([k], id(), 0, t + FIVE_HOURS_MS)).ok).to.equal(true);
      expect((await ledger.read(k, t + HOUR + FIVE_HOURS_MS)).settled.usd5h).to.equal(0);
    });

    it('a reservation holds budget while in flight and settles down to the real cost', async () => {
      const k = key({ usdDaily: 1 });
      const now = clock.now();
      expect((await ledger.reserve([k], 'a', usd(0.8), now)).ok).to.equal(true);
      expect((await ledger.reserve([k], 'b', usd(0.3), now)).ok).to.equal(true); // 0.80 held < 1.00
      const held = await ledger.reserve([k], 'c', usd(0.1), now); // 1.10 held
      expect(held.ok).to.equal(false);
      if (!held.ok) expect(held.violations[0]).to.include({ heldOnly: true, reservedMicros: usd(1.1), settledMicros: 0 });
      await ledger.settle([{ subject: k, track5h: true }], 'a', usd(0.05), now, now); // settles down
      const r = await ledger.read(k, now);
      expect(r.reserved).to.equal(usd(0.3));
      expect(r.settled.usdDaily).to.equal(usd(0.05));
      expect((await ledger.reserve([k], 'c', usd(0.1), now)).ok).to.equal(true);
    });

    it('settles up when the real cost exceeds the hold', async () => {
      const k = key({ usdDaily: 10 });
      const now = clock.now();
      await ledger.reserve([k], 'a', usd(0.1), now);
      await ledger.settle([{ subject: k, track5h: true }], 'a', usd(2.5), now, now);
      const r = await ledger.read(k, now);
      expect(r.reserved).to.equal(0);
      expect(r.settled).to.deep.equal({ usd5h: usd(2.5), usdDaily: usd(2.5), usdWeekly: usd(2.5), usdMonthly: usd(2.5), usdTotal: usd(2.5) });
    });

    it('a reservation whose request never settles (crashed instance) expires and frees the budget', async () => {
      const k = key({ usdTotal: 1 });
      const now = clock.now();
      expect((await ledger.reserve([k], 'lost', usd(1), now)).ok).to.equal(true);
      expect((await ledger.reserve([k], id(), 0, now + RES_TTL - 1)).ok).to.equal(false);
      expect((await ledger.read(k, now + RES_TTL - 1)).reserved).to.equal(usd(1));
      clock.set(now + RES_TTL);
      expect((await ledger.read(k, now + RES_TTL)).reserved).to.equal(0);
      expect((await ledger.reserve([k], id(), 0, now + RES_TTL)).ok).to.equal(true);
      // A late settle of the lost request still books its cost, without going negative anywhere.
      await ledger.settle([{ subject: k, track5h: true }], 'lost', usd(0.4), now, now + RES_TTL + 1);
      expect((await ledger.read(k, now + RES_TTL + 1)).settled.usdTotal).to.equal(usd(0.4));
    });

    it('checks key and user together, all or nothing, and a user inherits its group budget', async () => {
      const k = key({ usdDaily: 10 });
      const u = user({}, { usdMonthly: 1 });
      expect(u.origin.usdMonthly).to.equal('group');
      expect((await spend([k, u], 1)).ok).to.equal(true);
      const r = await ledger.reserve([k, u], 'x', usd(0.5), clock.now());
      expect(r.ok).to.equal(false);
      if (!r.ok) expect(r.violations.map((v) => [v.subject.level, v.dimension])).to.deep.equal([['user', 'usdMonthly']]);
      expect((await ledger.read(k, clock.now())).reserved).to.equal(0); // nothing held on the key either
    });

    it('total never resets; the 402 says so with a long Retry-After', async () => {
      const k = key({ usdTotal: 0.5 });
      await spend([k], 0.5);
      clock.advance(400 * 24 * HOUR);
      const r = await ledger.reserve([k], id(), 0, clock.now());
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        const err = budgetRejection(r.violations, clock.now());
        expect(err.status).to.equal(402);
        expect(err.headers).to.include({ 'Retry-After': '86400', 'X-RateLimit-Type': 'usd_total', 'X-RateLimit-Limit': '0.50', 'X-RateLimit-Remaining': '0.00' });
        expect(err.message).to.match(/key "laptop" limit of \$0\.50 in total reached \(\$0\.50 spent\); this budget does not reset/);
      }
    });

    it('reports the most binding window: monthly over daily', async () => {
      const k = key({ usdDaily: 1, usdMonthly: 1 });
      await spend([k], 1);
      const r = await ledger.reserve([k], id(), 0, clock.now());
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        const err = budgetRejection(r.violations, clock.now());
        expect(err.headers['X-RateLimit-Type']).to.equal('usd_monthly');
        expect(err.headers['X-RateLimit-Reset']).to.equal(String(Date.parse('2025-03-31T16:00:00Z') / 1000));
        expect(Number(err.headers['Retry-After'])).to.equal((Date.parse('2025-03-31T16:00:00Z') - clock.now()) / 1000);
        expect(err.message).to.match(/^USD budget exhausted: key "laptop" limit of \$1\.00 per month reached \(\$1\.00 spent\); resets in 26 d 12 h \(2025-03-31T16:00:00Z\)\.$/);
      }
    });

    it('books provider spend and reads it back', async () => {
      const p = providerSubject({ id: 3, name: 'claude-1', limits: { usd5h: 2 } });
      await ledger.settle([{ subject: p, track5h: true }], 'r1', usd(1.25), clock.now(), clock.now());
      const r = await ledger.read(p, clock.now());
      expect(r.settled.usd5h).to.equal(usd(1.25));
      expect(r.fiveHourFreeAtMs).to.equal(clock.now() + FIVE_HOURS_MS);
    });

    it('keeps micro-dollar sums exact over many small amounts', async () => {
      const k = key({});
      for (let i = 0; i < 100; i++) {
        await ledger.settle([{ subject: k, track5h: true }], id(), usd(0.000123), clock.now(), clock.now());
      }
      expect((await ledger.read(k, clock.now())).settled.usdTotal).to.equal(12_300);
    });

    it('drops finished calendar windows when a new one begins, even if a late settle books into the old one', async () => {
      const k = key({ usdDaily: 5 });
      const sumsKey = `${counterKey(k, 'usd2')}:sums`;
      const fields = async () => Object.keys(await subject.raw.hgetall(sumsKey)).filter((f) => f.startsWith('d:')).length;
      clock.set(Date.parse('2025-03-05T15:00:00Z')); // 23:00 local, day 1
      const before = clock.now();
      expect((await spend([k], 1)).ok).to.equal(true);
      // A request reserved on day 1 is still running when day 2 begins.
      const late = id();
      expect((await ledger.reserve([k], late, usd(0.5), before)).ok).to.equal(true);
      clock.set(Date.parse('2025-03-05T16:30:00Z')); // 00:30 local, day 2
      expect((await spend([k], 2)).ok).to.equal(true);
      expect(await fields()).to.equal(1); // day 1 dropped when day 2 began
      // The late request settles into day 1 (its reservation time): day 2 is untouched.
      await ledger.settle([{ subject: k, track5h: true }], late, usd(0.5), before, clock.now());
      const r = await ledger.read(k, clock.now());
      expect(r.settled.usdDaily).to.equal(usd(2));
      expect(r.settled.usdTotal).to.equal(usd(3.5));
      expect(r.reserved).to.equal(0);
      // Day 3 drops both older fields.
      clock.set(Date.parse('2025-03-06T17:00:00Z'));
      expect((await spend([k], 0.25)).ok).to.equal(true);
      expect(await fields()).to.equal(1);
      expect((await ledger.read(k, clock.now())).settled.usdDaily).to.equal(usd(0.25));
    });

    it('keeps the sum of holds exact through overlapping requests, a lost one expiring and a settle replayed', async () => {
      const k = key({ usdTotal: 10 });
      const t0 = clock.now();
      const reserved = async (at: number) => (await ledger.read(k, at)).reserved;
      expect((await ledger.reserve([k], 'early', usd(1), t0)).ok).to.equal(true);
      expect((await ledger.reserve([k], 'lost', usd(2), t0 + 1000)).ok).to.equal(true); // never settles
      expect((await ledger.reserve([k], 'late', usd(4), t0 + 600_000)).ok).to.equal(true);
      expect(await reserved(t0 + 600_000)).to.equal(usd(7));
      await ledger.settle([{ subject: k, track5h: true }], 'early', usd(0.5), t0, t0 + 600_000);
      await ledger.settle([{ subject: k, track5h: true }], 'early', usd(0.5), t0, t0 + 600_001); // a replay: the hold is gone already
      expect(await reserved(t0 + 600_001)).to.equal(usd(6));
      // The earliest expiry on record was the settled request's: passing it makes the next call
      // recount; the lost request's hold lasts until its own expiry, one second later.
      clock.set(t0 + RES_TTL);
      expect(await reserved(t0 + RES_TTL)).to.equal(usd(6));
      clock.set(t0 + 1000 + RES_TTL);
      expect(await reserved(t0 + 1000 + RES_TTL)).to.equal(usd(4));
      // Spent 0.5 + 0.5 (the replay books again, as before) and 4 held: 5.0 of 10 used. A request
      // is let in while anything is left, so 4.9 and 0.2 fit (9.9 used before the second), then no more.
      const at = t0 + 1000 + RES_TTL;
      expect((await ledger.reserve([k], id(), usd(4.9), at)).ok).to.equal(true);
      expect((await ledger.reserve([k], id(), usd(0.2), at)).ok).to.equal(true);
      const over = await ledger.reserve([k], id(), usd(0.01), at);
      expect(over.ok).to.equal(false);
      if (!over.ok) expect(over.violations[0]).to.include({ settledMicros: usd(1), reservedMicros: usd(9.1) });
    });

    it('a hold taken after every earlier one expired still expires itself (the earliest expiry is kept right)', async () => {
      const k = key({ usdTotal: 1 });
      const t0 = clock.now();
      expect((await ledger.reserve([k], 'lost-1', usd(0.4), t0)).ok).to.equal(true); // never settles
      clock.set(t0 + RES_TTL);
      expect((await ledger.reserve([k], 'lost-2', usd(0.7), t0 + RES_TTL)).ok).to.equal(true); // never settles either
      expect((await ledger.read(k, t0 + RES_TTL)).reserved).to.equal(usd(0.7));
      clock.set(t0 + 2 * RES_TTL);
      expect((await ledger.read(k, t0 + 2 * RES_TTL)).reserved).to.equal(0);
      expect((await ledger.reserve([k], id(), usd(0.9), t0 + 2 * RES_TTL)).ok).to.equal(true);
    });

    it('counts holds written by an earlier version (no running sum yet) on first use', async () => {
      const k = key({ usdTotal: 1 });
      const now = clock.now();
      const res = `${counterKey(k, 'usd2')}:res`;
      await subject.raw.hset(res, { 'old-a': `${usd(0.6)}|${now + RES_TTL}`, 'old-b': `${usd(0.3)}|${now + RES_TTL}` });
      expect((await ledger.read(k, now)).reserved).to.equal(usd(0.9));
      expect((await ledger.reserve([k], id(), usd(0.2), now)).ok).to.equal(true); // 0.9 held < 1.0
      expect((await ledger.reserve([k], id(), usd(0.01), now)).ok).to.equal(false); // 1.1 held
      await ledger.settle([{ subject: k, track5h: true }], 'old-a', 0, now, now);
      expect((await ledger.read(k, now)).reserved).to.equal(usd(0.5));
    });

    it('gives holds a TTL, so a subject whose requests all vanished leaves nothing behind', async () => {
      const k = key({ usdDaily: 5 });
      expect((await ledger.reserve([k], id(), usd(0.5), clock.now())).ok).to.equal(true);
      const ttl = await subject.raw.pttl(`${counterKey(k, 'usd2')}:res`);
      expect(ttl).to.be.greaterThan(RES_TTL).and.at.most(RES_TTL + 60_000);
    });
  });
}
