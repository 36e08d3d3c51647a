import type { Database, Logger, Store } from '@cch/core';

export interface RetentionOptions {
  /** Rows older than this many days are deleted; 0 keeps everything. */
  retentionDays: number;
  /** Rows per DELETE, so no single statement holds locks for long. */
  batchSize: number;
}

/**
 * Delete request-log rows older than the retention period, in batches of `batchSize`.
 * Returns the number of rows deleted.
 */
export async function purgeExpiredRows(db: Database, opts: RetentionOptions, now = new Date()): Promise<number> {
  if (opts.retentionDays <= 0) return 0;
  const cutoff = new Date(now.getTime() - opts.retentionDays * 86_400_000);
  const conn = db.em().getConnection();
  let total = 0;
  for (;;) {
    const res = (await conn.execute(
      'delete from cch_request_log where id in (select id from cch_request_log where created_at < ? order by created_at limit ?)',
      [cutoff, opts.batchSize],
      'run',
    )) as { affectedRows?: number };
    const n = res.affectedRows ?? 0;
    total += n;
    if (n < opts.batchSize) return total;
    // Let other queries in between batches.
    await new Promise((r) => setImmediate(r));
  }
}

const LOCK_KEY = 'acct:retention:lock';

/**
 * Run {@link purgeExpiredRows} every `intervalMs` (first run after `firstDelayMs`) on one
 * instance at a time (a store lock). Returns a stop function. The timer never keeps the
 * process alive.
 */
export function scheduleRetention(
  db: Database,
  store: Store,
  opts: RetentionOptions & { intervalMs: number; firstDelayMs: number },
  logger: Logger,
): () => Promise<void> {
  if (opts.retentionDays <= 0) return async () => {};
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = () => {
    if (running || stopped) return;
    running = (async () => {
      try {
        if (!(await store.set(LOCK_KEY, String(process.pid), { nx: true, ttlMs: Math.min(opts.intervalMs, 30 * 60_000) }))) return;
        const t = Date.now();
        const n = await purgeExpiredRows(db, opts);
        if (n) logger.info({ rows: n, retentionDays: opts.retentionDays, ms: Date.now() - t }, 'request log: expired rows deleted');
      } catch (err) {
        logger.warn({ err: (err as Error).message }, 'request log retention run failed; will retry next hour');
      }
    })().finally(() => {
      running = undefined;
    });
  };
  const first = setTimeout(run, opts.firstDelayMs);
  const every = setInterval(run, opts.intervalMs);
  first.unref();
  every.unref();
  return async () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(every);
    await running;
  };
}
