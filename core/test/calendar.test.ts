import { expect } from 'chai';
import { calendarWindow, parseResetTime, zonedTime, assertTimeZone } from '../src/calendar.ts';

const iso = (t: number) => new Date(t).toISOString();
const at = (s: string) => Date.parse(s);

describe('limit-cost calendar windows', () => {
  describe('daily, in a zone ahead of UTC (Asia/Shanghai, UTC+8)', () => {
    const tz = 'Asia/Shanghai';
    it('23:59:59 local is still the old day, 00:00:00 local the new one', () => {
      const before = calendarWindow('daily', at('2025-03-09T15:59:59.999Z'), tz); // 23:59:59.999 local
      const after = calendarWindow('daily', at('2025-03-09T16:00:00.000Z'), tz); // 00:00 local
      expect([iso(before.start), iso(before.end)]).to.deep.equal(['2025-03-08T16:00:00.000Z', '2025-03-09T16:00:00.000Z']);
      expect([iso(after.start), iso(after.end)]).to.deep.equal(['2025-03-09T16:00:00.000Z', '2025-03-10T16:00:00.000Z']);
    });
    it('honours a reset time: 04:59 local belongs to the previous day, 05:00 starts a new one', () => {
      const reset = parseResetTime('05:00');
      const before = calendarWindow('daily', at('2025-03-09T20:59:00Z'), tz, reset); // 04:59 on the 10th local
      const after = calendarWindow('daily', at('2025-03-09T21:00:00Z'), tz, reset);
      expect(iso(before.start)).to.equal('2025-03-08T21:00:00.000Z');
      expect(iso(before.end)).to.equal('2025-03-09T21:00:00.000Z');
      expect(iso(after.start)).to.equal('2025-03-09T21:00:00.000Z');
    });
  });

  describe('daily, in a zone behind UTC with DST (America/New_York)', () => {
    const tz = 'America/New_York';
    it('the spring-forward day is 23 hours long', () => {
      const w = calendarWindow('daily', at('2025-03-09T12:00:00Z'), tz);
      expect(iso(w.start)).to.equal('2025-03-09T05:00:00.000Z'); // midnight EST
      expect(iso(w.end)).to.equal('2025-03-10T04:00:00.000Z'); // midnight EDT
    });
    it('the fall-back day is 25 hours long', () => {
      const w = calendarWindow('daily', at('2025-11-02T12:00:00Z'), tz);
      expect(w.end - w.start).to.equal(25 * 3_600_000);
    });
    it('a reset time that DST skips resolves to the instant one hour later', () => {
      // 2025-03-09 02:30 does not exist in New York; 03:30 EDT is 07:30Z.
      expect(iso(zonedTime(2025, 3, 9, 150, tz))).to.equal('2025-03-09T07:30:00.000Z');
    });
  });

  describe('weekly (Monday start)', () => {
    const tz = 'Asia/Shanghai';
    it('Sunday 23:59:59 local is the old week, Monday 00:00 local the new one', () => {
      // 2025-03-09 is a Sunday.
      const sun = calendarWindow('weekly', at('2025-03-09T15:59:59Z'), tz);
      const mon = calendarWindow('weekly', at('2025-03-09T16:00:00Z'), tz);
      expect([iso(sun.start), iso(sun.end)]).to.deep.equal(['2025-03-02T16:00:00.000Z', '2025-03-09T16:00:00.000Z']);
      expect([iso(mon.start), iso(mon.end)]).to.deep.equal(['2025-03-09T16:00:00.000Z', '2025-03-16T16:00:00.000Z']);
    });
    it('before the reset time on Monday it is still last week', () => {
      const w = calendarWindow('weekly', at('2025-03-09T20:00:00Z'), tz, parseResetTime('05:00')); // Mon 04:00 local
      expect(iso(w.start)).to.equal('2025-03-02T21:00:00.000Z');
    });
    it('spans a year end', () => {
      const w = calendarWindow('weekly', at('2025-01-01T12:00:00Z'), 'UTC'); // a Wednesday
      expect(iso(w.start)).to.equal('2024-12-30T00:00:00.000Z');
      expect(iso(w.end)).to.equal('2025-01-06T00:00:00.000Z');
    });
  });

  describe('monthly', () => {
    const tz = 'Asia/Shanghai';
    it('the last second of January local is January, the first of February is February', () => {
      const jan = calendarWindow('monthly', at('2025-01-31T15:59:59Z'), tz);
      const feb = calendarWindow('monthly', at('2025-01-31T16:00:00Z'), tz);
      expect([iso(jan.start), iso(jan.end)]).to.deep.equal(['2024-12-31T16:00:00.000Z', '2025-01-31T16:00:00.000Z']);
      expect([iso(feb.start), iso(feb.end)]).to.deep.equal(['2025-01-31T16:00:00.000Z', '2025-02-28T16:00:00.000Z']);
    });
    it('knows leap years and December', () => {
      expect(iso(calendarWindow('monthly', at('2024-02-29T12:00:00Z'), 'UTC').end)).to.equal('2024-03-01T00:00:00.000Z');
      const dec = calendarWindow('monthly', at('2025-12-31T23:59:59Z'), 'UTC');
      expect(iso(dec.end)).to.equal('2026-01-01T00:00:00.000Z');
    });
    it('before the reset time on the 1st it is still last month', () => {
      const w = calendarWindow('monthly', at('2025-02-01T04:59:00Z'), 'UTC', parseResetTime('05:00'));
      expect(iso(w.start)).to.equal('2025-01-01T05:00:00.000Z');
      expect(iso(w.end)).to.equal('2025-02-01T05:00:00.000Z');
    });
  });

  it('rejects unknown zones and malformed reset times', () => {
    expect(() => assertTimeZone('Mars/Olympus')).to.throw(/unknown time zone "Mars\/Olympus"/);
    expect(() => parseResetTime('24:00')).to.throw(/HH:MM/);
    expect(parseResetTime('23:59')).to.equal(23 * 60 + 59);
  });
});
