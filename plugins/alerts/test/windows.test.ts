import { expect } from 'chai';
import { localMidnight, windowSpan } from '../src/windows.ts';

describe('alerts: USD windows', () => {
  const at = (iso: string) => Date.parse(iso);
  const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

  it('calendar windows in UTC: day, Monday week, month', () => {
    const now = at('2026-11-26T10:00:00Z'); // a Thursday
    expect(windowSpan('usdDaily', now, 'UTC')).to.deep.include({ id: '2026-11-26' });
    expect(iso(windowSpan('usdDaily', now, 'UTC').start)).to.equal('2026-11-26T00:00:00.000Z');
    expect(iso(windowSpan('usdDaily', now, 'UTC').end)).to.equal('2026-11-27T00:00:00.000Z');
    const week = windowSpan('usdWeekly', now, 'UTC');
    expect(week.id).to.equal('W2026-11-23');
    expect([iso(week.start), iso(week.end)]).to.deep.equal(['2026-11-23T00:00:00.000Z', '2026-11-30T00:00:00.000Z']);
    const month = windowSpan('usdMonthly', at('2026-12-31T23:59:59Z'), 'UTC');
    expect([month.id, iso(month.start), iso(month.end)]).to.deep.equal(['2026-12', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('a Sunday belongs to the week that started on Monday', () => {
    expect(windowSpan('usdWeekly', at('2026-11-29T23:00:00Z'), 'UTC').id).to.equal('W2026-11-23');
    expect(windowSpan('usdWeekly', at('2026-11-30T00:00:00Z'), 'UTC').id).to.equal('W2026-11-30');
  });

  it('follows the configured time zone, across DST changes', () => {
    // 23:30 UTC on 26 Nov is already 27 Nov in Berlin (UTC+1)
    const d = windowSpan('usdDaily', at('2026-11-26T23:30:00Z'), 'Europe/Berlin');
    expect([d.id, iso(d.start), iso(d.end)]).to.deep.equal(['2026-11-27', '2026-11-26T23:00:00.000Z', '2026-11-27T23:00:00.000Z']);
    // The day DST starts in Berlin (29 Mar 2026) is 23 hours long
    const dst = windowSpan('usdDaily', at('2026-03-29T12:00:00Z'), 'Europe/Berlin');
    expect(dst.end! - dst.start).to.equal(23 * 3_600_000);
    expect(iso(localMidnight(2026, 11, 1, 'America/New_York'))).to.equal('2026-11-01T04:00:00.000Z');
  });

  it('rolling and total windows', () => {
    const now = at('2026-11-26T10:00:00Z');
    expect(windowSpan('usd5h', now, 'UTC')).to.deep.equal({ id: '5h', start: now - 5 * 3_600_000, end: undefined });
    expect(windowSpan('usdTotal', now, 'UTC')).to.deep.equal({ id: 'all', start: 0, end: undefined });
  });
});
