import { expect } from 'chai';
import { createLogger, RequestLogEntity } from '@cch/core';
import { createTestGateway, type TestGateway } from '@cch/core/testing';
import { purgeExpiredRows, scheduleRetention } from '../src/retention.ts';
import { eventually } from './helpers.ts';

describe('accounting: retention', function () {
  this.timeout(60_000);
  let hub: TestGateway;

  before(async () => {
    hub = await createTestGateway({ yaml: 'plugins:\n  - name: accounting\n    options: { retentionDays: 0 }\n' });
  });
  after(async () => {
    await hub?.close();
  });

  const DAY = 86_400_000;
  async function seed(prefix: string, ages: number[]): Promise<void> {
    const now = Date.now();
    await hub.gw.db.em().insertMany(
      RequestLogEntity,
      ages.map((days, i) => ({ requestId: `${prefix}-${i}`, createdAt: new Date(now - days * DAY), clientFormat: 'anthropic-messages', operation: 'generate', status: 200, outcome: 'completed', durationMs: 1 })) as never[],
    );
  }
  const remaining = async (prefix: string) =>
    (await hub.gw.db.em().find(RequestLogEntity, { requestId: { $like: `${prefix}-%` } }, { orderBy: { requestId: 'asc' } })).map((r) => r.requestId);

  it('deletes rows older than retentionDays in batches and keeps the rest', async () => {
    // 7 rows past 90 days, with a batch size of 2: four DELETEs, the last one short
    await seed('old', [400, 200, 120, 100, 95, 91, 90.5, 89, 30, 0]);
    const n = await purgeExpiredRows(hub.gw.db, { retentionDays: 90, batchSize: 2 });
    expect(n).to.equal(7);
    expect(await remaining('old')).to.deep.equal(['old-7', 'old-8', 'old-9']);
  });

  it('retentionDays 0 keeps everything', async () => {
    await seed('keep', [10_000, 1]);
    expect(await purgeExpiredRows(hub.gw.db, { retentionDays: 0, batchSize: 10 })).to.equal(0);
    expect(await remaining('keep')).to.have.length(2);
  });

  it('the scheduled job runs on one instance at a time (store lock) and stops cleanly', async () => {
    await seed('job', [50, 5]);
    await hub.gw.store.del('acct:retention:lock');
    const stop = scheduleRetention(hub.gw.db, hub.gw.store, { retentionDays: 10, batchSize: 100, intervalMs: 60_000, firstDelayMs: 10 }, createLogger({ level: 'silent' }));
    await eventually(async () => (await remaining('job')).length === 1, 'the old row deleted');
    await stop();
    // The lock is held: a second instance's run now does nothing.
    await seed('job2', [50]);
    const stop2 = scheduleRetention(hub.gw.db, hub.gw.store, { retentionDays: 10, batchSize: 100, intervalMs: 60_000, firstDelayMs: 10 }, createLogger({ level: 'silent' }));
    await new Promise((r) => setTimeout(r, 200));
    await stop2();
    expect(await remaining('job2')).to.have.length(1);
  });
});
