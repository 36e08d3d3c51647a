import { RequestLogEntity, type Database, type Logger } from '@cch/core';
import type { LogRow } from './row.ts';
import type { Spool } from './spool.ts';

export type { LogRow } from './row.ts';

/** Where the request log stands; read by /metrics, the monitoring service and the alerts plugin. */
export interface LogWriterStats {
  /** Rows in memory, including a batch being written. */
  queued: number;
  /** Rows in spool files, waiting for the database. */
  spooledRows: number;
  spoolBytes: number;
  spoolSegments: number;
  /** Rows given up on (memory full and the spool unwritable or full). */
  dropped: number;
  /** False after a failed write, until the next successful one. */
  dbHealthy: boolean;
  /** Age of the oldest row in memory, ms (0 when empty). */
  oldestQueuedMs: number;
  lastError: string | undefined;
}

export interface LogWriter {
  add(row: LogRow): void;
  /** Try to write (and replay) everything now; resolves after one attempt, whatever its outcome. */
  flush(): Promise<void>;
  /** Rows waiting in memory. */
  depth(): number;
  stats(): LogWriterStats;
  /** Flush to the database or, failing that within `closeTimeoutMs`, to the spool. */
  close(): Promise<void>;
}

export interface LogWriterOptions {
  batchSize: number;
  flushIntervalMs: number;
  /** Rows held in memory; reaching it spools them at once. */
  maxQueue: number;
  /** A row older than this that is not in the database yet goes to the spool. */
  spoolAfterMs: number;
  closeTimeoutMs: number;
}

const WRITE_TIMEOUT_MS = 30_000;

interface Pending {
  row: LogRow;
  at: number;
}

interface InFlight {
  items: Pending[];
  /** Copied to the spool while the write was pending: do not requeue on failure. */
  spooled: boolean;
}

/**
 * Batches rows into multi-row `INSERT … ON CONFLICT (request_id) DO NOTHING`. When the database
 * is slow or down, rows older than `spoolAfterMs` (or beyond `maxQueue`) move to the spool; the
 * spool is replayed, in order and before newer rows, as soon as a write succeeds again. A crash
 * therefore loses at most the rows settled in the last `spoolAfterMs` (plus one check interval).
 */
export function createLogWriter(db: Database, opts: LogWriterOptions, logger: Logger, spool: Spool | undefined): LogWriter {
  let queue: Pending[] = [];
  let inflight: InFlight | undefined;
  let timer: NodeJS.Timeout | undefined;
  let draining: Promise<void> | undefined;
  let spooling: Promise<void> = Promise.resolve();
  let backoffMs = 0;
  let dropped = 0;
  let healthy = true;
  let lastError: string | undefined;
  let lastWarnAt = 0;
  let closing = false;
  let closed = false;

  const checkEvery = Math.max(20, Math.min(250, Math.floor(opts.spoolAfterMs / 4)));
  const ageTimer = spool ? setInterval(checkAge, checkEvery) : undefined;
  ageTimer?.unref();

  async function insert(rows: LogRow[]): Promise<void> {
    // Straight to a pooled pg connection with bind parameters: MikroORM's `execute` would
    // inline every value into the SQL text (escaping each), and knex's raw would rewrite thousands
    // of `?` placeholders — both a few % of the hub's CPU in profiles.
    const write = writeRows(db, rows);
    // A database that stops answering (no error, no reset) must not stall the writer for good:
    // give up on the wait; if the INSERT lands later, the retry's duplicates are ignored.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`request log write took over ${WRITE_TIMEOUT_MS} ms`)), WRITE_TIMEOUT_MS);
    });
    write.catch(() => undefined); // its failure after a timeout is not news
    try {
      await Promise.race([write, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  const schedule = (ms: number) => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void drain();
    }, ms);
    timer.unref();
  };

  /** One pass: replay the spool, then write memory, oldest first. Errors schedule a retry. */
  function drain(): Promise<void> {
    if (draining) return draining;
    draining = (async () => {
      try {
        for (;;) {
          if (spool && spool.rows() > 0) {
            const n = await spool.replay(insert, opts.batchSize);
            if (n) logger.info({ rows: n }, 'request log: spooled rows replayed into the database');
            continue;
          }
          if (!queue.length) break;
          const flight: InFlight = { items: queue.splice(0, opts.batchSize), spooled: false };
          inflight = flight;
          try {
            await insert(flight.items.map((p) => p.row));
          } catch (err) {
            if (!flight.spooled) queue = flight.items.concat(queue);
            throw err;
          } finally {
            inflight = undefined;
          }
        }
        if (!healthy) logger.info('request log: database writes succeed again');
        healthy = true;
        backoffMs = 0;
      } catch (err) {
        healthy = false;
        lastError = (err as Error).message;
        backoffMs = Math.min(Math.max(backoffMs * 2, 200), 10_000);
        if (Date.now() - lastWarnAt > 10_000) {
          lastWarnAt = Date.now();
          logger.warn({ err: lastError, queued: queue.length, spooled: spool?.rows() ?? 0, retryMs: backoffMs }, 'request log write failed; will retry');
        }
        schedule(backoffMs);
      }
    })().finally(() => {
      draining = undefined;
    });
    return draining;
  }

  function oldestAt(): number | undefined {
    const a = inflight && !inflight.spooled ? inflight.items[0]?.at : undefined;
    const b = queue[0]?.at;
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  function checkAge(): void {
    const oldest = oldestAt();
    if (oldest !== undefined && Date.now() - oldest >= opts.spoolAfterMs) void spoolMemory();
  }

  /** Move everything not yet in the database from memory to the spool. */
  function spoolMemory(): Promise<void> {
    if (!spool) return Promise.resolve();
    const items: Pending[] = [];
    if (inflight && !inflight.spooled) {
      inflight.spooled = true;
      items.push(...inflight.items);
    }
    items.push(...queue);
    queue = [];
    if (!items.length) return spooling;
    spooling = spooling.then(async () => {
      try {
        await spool.append(items.map((p) => p.row));
        schedule(backoffMs || opts.flushIntervalMs);
      } catch (err) {
        // Disk trouble: keep them in memory (oldest first) and let the bound decide.
        logger.error({ err: (err as Error).message, rows: items.length }, 'request log: could not spool rows; keeping them in memory');
        queue = items.concat(queue);
        trimQueue();
      }
    });
    return spooling;
  }

  function trimQueue(): void {
    const over = queue.length - opts.maxQueue;
    if (over <= 0) return;
    queue.splice(0, over);
    dropped += over;
    logger.error({ dropped, maxQueue: opts.maxQueue }, 'request log: memory queue full and spool unavailable; rows dropped');
  }

  async function settleWithin(p: Promise<void>, ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (t = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([p.then(() => true), timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  return {
    add(row) {
      if (closed) {
        // After close only the spool can keep a row; write it synchronously so exit cannot lose it.
        try {
          if (!spool) throw new Error('no spool');
          spool.appendSync([row]);
        } catch (err) {
          dropped++;
          logger.error({ err: (err as Error).message, requestId: row.requestId }, 'request log: row settled after shutdown could not be kept');
        }
        return;
      }
      queue.push({ row, at: Date.now() });
      if (queue.length >= opts.maxQueue) {
        if (spool) void spoolMemory();
        else trimQueue();
        return;
      }
      if (queue.length >= opts.batchSize && healthy && !closing) void drain();
      else schedule(backoffMs || opts.flushIntervalMs);
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      await spooling;
      // A pass already running may have started before the latest rows arrived.
      for (let i = 0; i < 3; i++) {
        await drain();
        if (!healthy || (!queue.length && !(spool && spool.rows() > 0))) break;
      }
    },
    depth: () => queue.length + (inflight?.items.length ?? 0),
    stats() {
      const oldest = oldestAt();
      return {
        queued: queue.length + (inflight?.items.length ?? 0),
        spooledRows: spool?.rows() ?? 0,
        spoolBytes: spool?.bytes() ?? 0,
        spoolSegments: spool?.segments() ?? 0,
        dropped,
        dbHealthy: healthy,
        oldestQueuedMs: oldest === undefined ? 0 : Date.now() - oldest,
        lastError,
      };
    },
    async close() {
      if (closing) return;
      closing = true;
      if (ageTimer) clearInterval(ageTimer);
      if (timer) clearTimeout(timer);
      timer = undefined;
      await spooling;
      // One last attempt at the database, bounded; whatever did not make it goes to the spool.
      const done = await settleWithin(
        (async () => {
          if (draining) await draining;
          await drain();
        })(),
        opts.closeTimeoutMs,
      );
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!done || queue.length || inflight) {
        await spoolMemory();
        await spooling;
      }
      if (queue.length) {
        dropped += queue.length;
        logger.error({ rows: queue.length }, 'request log rows could not be written or spooled before shutdown');
        queue = [];
      }
      await spool?.close();
    },
  };
}

/** Row properties and their columns, in INSERT order. */
const COLUMNS: [keyof LogRow & string, string][] = Object.entries(RequestLogEntity.meta.properties)
  .filter(([name]) => name !== 'id')
  .map(([name, prop]) => [name, (prop as { fieldNames?: string[] }).fieldNames?.[0] ?? name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()]);

/**
 * One parameterised multi-row INSERT … ON CONFLICT DO NOTHING, with `default` for the fields a
 * row lacks (a spool line written by an older version). The fallback of `writeRows`.
 */
function insertSql(rows: LogRow[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const tuples = rows.map((row) => {
    const marks = COLUMNS.map(([prop]) => {
      const v = row[prop];
      // A field the row lacks (a spool line from an older version) takes the column default.
      if (v === undefined) return 'default';
      params.push(toParam(prop, v));
      return `$${params.length}`;
    });
    return `(${marks.join(', ')})`;
  });
  const cols = COLUMNS.map(([, c]) => `"${c}"`).join(', ');
  return { sql: `insert into "cch_request_log" (${cols}) values ${tuples.join(', ')} on conflict ("request_id") do nothing`, params };
}

const toParam = (prop: string, v: unknown): unknown => (prop === 'decision' && v !== null ? JSON.stringify(v) : v instanceof Date ? v.toISOString() : v);

interface PgConnection {
  query(text: string | { name: string; text: string; values: unknown[] }, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}
interface KnexClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(connection: PgConnection): Promise<unknown>;
}

/**
 * The batch statement: `INSERT … SELECT * FROM unnest($1::type[], …)`, one array per column.
 * Its text does not depend on the number of rows, so every pooled connection parses and plans
 * it once (a named prepared statement) — PostgreSQL spent ~55–75 µs of CPU per row on the
 * multi-row `VALUES` form (a fresh statement of up to 6,000 parameters each time) and ~25–38 µs
 * on this one (bench: 20-row and 200-row batches, same table and indexes). Column types come
 * from the catalogue, so a migration that widens a column needs no change here.
 */
const statements = new WeakMap<Database, Promise<string>>();

function batchStatement(db: Database, conn: PgConnection): Promise<string> {
  const known = statements.get(db);
  if (known) return known;
  const made = conn
    .query(
      `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
       where attrelid = 'cch_request_log'::regclass and attnum > 0 and not attisdropped`,
    )
    .then(({ rows }) => {
      const types = new Map(rows.map((r) => [String(r.name), String(r.type)]));
      const casts = COLUMNS.map(([, column], i) => {
        const type = types.get(column);
        if (!type) throw new Error(`cch_request_log has no column ${column}`);
        // JSON columns come as one JSON array (no escaping of every quote in an array literal).
        if (type === 'jsonb') return `array(select nullif(e, 'null'::jsonb) from jsonb_array_elements($${i + 1}::jsonb) with ordinality as t(e, n) order by n)`;
        return `$${i + 1}::${type}[]`;
      });
      const cols = COLUMNS.map(([, c]) => `"${c}"`).join(', ');
      return `insert into "cch_request_log" (${cols}) select * from unnest(${casts.join(', ')}) on conflict ("request_id") do nothing`;
    });
  statements.set(db, made);
  made.catch(() => statements.delete(db)); // asked again on the next write
  return made;
}

/**
 * One column of a batch as one text parameter: a PostgreSQL array literal (`{"a",NULL,3}`)
 * parsed by the statement's cast, or for the JSON column a JSON array. Written here because
 * node-postgres escapes every element with two regular expressions (4 % of the hub's CPU in a
 * profile); strings are escaped only when they hold a quote or a backslash.
 */
function columnParam(rows: readonly LogRow[], prop: string): string {
  if (prop === 'decision') return JSON.stringify(rows.map((r) => r[prop] ?? null));
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out += ',';
    const raw = rows[i]![prop];
    const v = raw instanceof Date ? raw.toISOString() : raw;
    if (v === null || v === undefined) out += 'NULL';
    else if (typeof v === 'number') out += Number.isFinite(v) ? String(v) : 'NULL';
    else if (typeof v === 'boolean') out += v ? 't' : 'f';
    else {
      const text = typeof v === 'string' ? v : String(v);
      out += text.includes('"') || text.includes('\\') ? `"${text.replace(/[\\"]/g, '\\$&')}"` : `"${text}"`;
    }
  }
  return `${out}}`;
}

/** Write a batch on a connection of the ORM's pool (node-postgres underneath). */
async function writeRows(db: Database, rows: LogRow[]): Promise<void> {
  const client = (db.em().getConnection().getKnex() as unknown as { client: KnexClient }).client;
  const conn = await client.acquireConnection();
  try {
    if (rows.some((row) => COLUMNS.some(([prop]) => row[prop] === undefined))) {
      const { sql, params } = insertSql(rows);
      await conn.query(sql, params);
      return;
    }
    const text = await batchStatement(db, conn);
    const values = COLUMNS.map(([prop]) => columnParam(rows, prop));
    await conn.query({ name: 'cch_request_log_batch_v2', text, values });
  } finally {
    await client.releaseConnection(conn);
  }
}
