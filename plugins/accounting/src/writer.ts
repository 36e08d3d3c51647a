import { RequestLogEntity, type Database, type Logger, type SettledExchange } from '@cch/core';

export type LogRow = Record<string, unknown> & { requestId: string };

export interface LogWriter {
  add(row: LogRow): void;
  /** Write everything queued now. */
  flush(): Promise<void>;
  /** Rows waiting to be written. */
  depth(): number;
  close(): Promise<void>;
}

/** Map a settled exchange to a request-log row. Never the prompt, never a key. */
export function toRow(ex: SettledExchange): LogRow {
  const u = ex.usage;
  return {
    requestId: ex.id,
    createdAt: ex.startedAt,
    userId: ex.identity?.userId ?? null,
    keyId: ex.identity?.keyId ?? null,
    providerId: ex.provider?.id ?? null,
    providerName: ex.provider?.name ?? null,
    attemptCount: ex.attempts.length,
    clientFormat: ex.clientFormat,
    providerFormat: ex.providerFormat ?? null,
    operation: ex.endpoint.operation,
    model: ex.model ?? null,
    servedModel: ex.servedModel ?? null,
    status: ex.status,
    outcome: ex.outcome,
    errorClass: ex.errorClass ?? null,
    errorMessage: ex.errorMessage?.slice(0, 2000) ?? null,
    inputTokens: u?.inputTokens ?? 0,
    outputTokens: u?.outputTokens ?? 0,
    cacheCreationTokens: u?.cacheCreationTokens ?? 0,
    cacheCreation5mTokens: u?.cacheCreation5mTokens ?? 0,
    cacheCreation1hTokens: u?.cacheCreation1hTokens ?? 0,
    cacheReadTokens: u?.cacheReadTokens ?? 0,
    reasoningTokens: u?.reasoningTokens ?? 0,
    costUsd: (ex.state.costUsd as string | undefined) ?? '0',
    ttfbMs: ex.ttfbMs ?? null,
    durationMs: ex.durationMs,
    stream: ex.stream,
    sessionId: ex.sessionId ?? null,
    userAgent: ex.userAgent.slice(0, 500) || null,
    decision: ex.attempts.length || ex.decision.length ? { attempts: ex.attempts, steps: ex.decision } : null,
  };
}

/**
 * Batches rows into multi-row INSERTs. A failed write keeps its rows queued (up to `maxQueue`)
 * and retries with backoff, so a slow or restarting database loses nothing that fits in memory.
 */
export function createLogWriter(db: Database, opts: { batchSize: number; flushIntervalMs: number; maxQueue: number }, logger: Logger): LogWriter {
  let queue: LogRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> | undefined;
  let backoffMs = 0;
  let dropped = 0;

  const schedule = (ms: number) => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void writeSome();
    }, ms);
    timer.unref();
  };

  async function writeSome(): Promise<void> {
    if (writing) return writing;
    writing = (async () => {
      while (queue.length) {
        const batch = queue.slice(0, opts.batchSize);
        try {
          await db.em().insertMany(RequestLogEntity, batch as never[]);
          queue = queue.slice(batch.length);
          backoffMs = 0;
        } catch (err) {
          if (isDuplicate(err)) {
            // A retry after a lost acknowledgement: insert row by row, skipping what landed.
            await insertEach(batch);
            queue = queue.slice(batch.length);
            continue;
          }
          backoffMs = Math.min(Math.max(backoffMs * 2, 200), 10_000);
          logger.warn({ err: (err as Error).message, queued: queue.length, retryMs: backoffMs }, 'request log write failed; will retry');
          schedule(backoffMs);
          return;
        }
      }
    })().finally(() => {
      writing = undefined;
    });
    return writing;
  }

  async function insertEach(batch: LogRow[]) {
    for (const row of batch) {
      try {
        await db.em().insert(RequestLogEntity, row as never);
      } catch (err) {
        if (!isDuplicate(err)) throw err;
      }
    }
  }

  return {
    add(row) {
      if (queue.length >= opts.maxQueue) {
        dropped++;
        if (dropped % 1000 === 1) logger.error({ dropped, maxQueue: opts.maxQueue }, 'request log queue full; dropping rows');
        return;
      }
      queue.push(row);
      if (queue.length >= opts.batchSize && !backoffMs) void writeSome();
      else schedule(backoffMs || opts.flushIntervalMs);
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      await writeSome();
      if (writing) await writing;
    },
    depth: () => queue.length,
    async close() {
      backoffMs = 0;
      await this.flush();
      if (queue.length) logger.error({ rows: queue.length }, 'request log rows could not be written before shutdown');
    },
  };
}

function isDuplicate(err: unknown): boolean {
  return (err as { code?: string }).code === '23505' || /duplicate key/i.test(String((err as Error).message));
}
