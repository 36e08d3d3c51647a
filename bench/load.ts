/**
 * The load generator: a closed loop of N workers over an undici Pool of N keep-alive
 * connections, each sending its next request as soon as the previous answer is fully read.
 * Latency is recorded per request in microseconds; streams also record time to first body byte
 * and the gaps between body chunks as they arrive.
 */
import { Pool } from 'undici';
import { setTimeout as sleep } from 'node:timers/promises';
import { Histogram, type LatencySummary } from './histogram.ts';

/** One request shape, sent over and over. */
export interface RequestSpec {
  /** Origin, e.g. `http://127.0.0.1:23000`. */
  url: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** When set, worker (or stream) i sends `bodies[i % length]` instead of `body` (one session each). */
  bodies?: string[];
  /** The reply is a stream: record TTFB and chunk gaps, and require `expectTail` at its end. */
  stream?: boolean;
  /** Text the last bytes of a good reply contain (a stream's final event). */
  expectTail?: string;
}

export interface LoadOptions extends RequestSpec {
  concurrency: number;
  /** Requests are sent but not recorded for this long first. */
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  concurrency: number;
  /** Requests that started and finished inside the measured window with a good reply. */
  requests: number;
  /** Every request answered or failed, warm-up included (for per-request server counters). */
  sent: number;
  errors: number;
  /** Good replies per second over the measured window. */
  rps: number;
  latency: LatencySummary;
  ttfb?: LatencySummary;
  /** Gaps between consecutive body chunks of a stream. */
  gap?: LatencySummary;
  /** Mean body chunks per stream (how finely the bytes arrived). */
  chunksPerStream?: number;
  statuses: Record<string, number>;
  firstError?: string;
}

const TAIL = 256;

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return `${e.code ?? 'error'}: ${e.message ?? String(err)}`.slice(0, 300);
}

/** Run a closed-loop load against one endpoint. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const pool = new Pool(opts.url, { connections: opts.concurrency, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
  const latency = new Histogram();
  const ttfb = new Histogram();
  const gap = new Histogram();
  const statuses: Record<string, number> = {};
  let requests = 0;
  let sent = 0;
  let errors = 0;
  let chunks = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const measureFrom = start + opts.warmupMs;
  const end = measureFrom + opts.durationMs;

  const fail = (measured: boolean, what: string) => {
    if (!measured) return;
    errors++;
    firstError ??= what;
  };

  async function worker(index: number): Promise<void> {
    const body = opts.bodies?.length ? opts.bodies[index % opts.bodies.length]! : opts.body;
    while (performance.now() < end) {
      const t0 = performance.now();
      const measured = t0 >= measureFrom;
      try {
        const res = await pool.request({ method: 'POST', path: opts.path, headers: opts.headers, body });
        sent++;
        if (measured) statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (res.statusCode !== 200) {
          fail(measured, `HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 300)}`);
          continue;
        }
        let n = 0;
        let first = 0;
        let last = 0;
        let tail = '';
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          const t = performance.now();
          if (n === 0) first = t;
          else if (opts.stream && measured) gap.record((t - last) * 1000);
          last = t;
          n++;
          if (opts.expectTail) tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - TAIL))).slice(-TAIL);
        }
        const t1 = performance.now();
        if (opts.expectTail && !tail.includes(opts.expectTail)) {
          fail(measured, `reply did not end with ${opts.expectTail}: …${tail.slice(-120)}`);
          continue;
        }
        if (!measured || t1 > end) continue;
        requests++;
        latency.record((t1 - t0) * 1000);
        if (opts.stream) {
          ttfb.record((first - t0) * 1000);
          chunks += n;
        }
      } catch (err) {
        sent++;
        fail(measured, describe(err));
        // A refused connection fails instantly; don't spin.
        await sleep(5);
      }
    }
  }

  try {
    await Promise.all(Array.from({ length: opts.concurrency }, (_, i) => worker(i)));
  } finally {
    await pool.close().catch(() => pool.destroy());
  }
  return {
    concurrency: opts.concurrency,
    requests,
    sent,
    errors,
    rps: Math.round((requests / (opts.durationMs / 1000)) * 10) / 10,
    latency: latency.summary(),
    ...(opts.stream ? { ttfb: ttfb.summary(), gap: gap.summary(), chunksPerStream: requests ? Math.round((chunks / requests) * 10) / 10 : 0 } : {}),
    statuses,
    firstError,
  };
}

/** Send one request and read the whole reply (a probe before measuring). */
export async function probe(spec: RequestSpec): Promise<{ status: number; text: string }> {
  const pool = new Pool(spec.url, { connections: 1 });
  try {
    const res = await pool.request({ method: 'POST', path: spec.path, headers: spec.headers, body: spec.body, headersTimeout: 30_000, bodyTimeout: 30_000 });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await pool.close().catch(() => pool.destroy());
  }
}

export interface HoldResult {
  /** Streams requested at once. */
  streams: number;
  /** Most streams whose response headers had arrived and whose body was still open, at one time. */
  peakOpen: number;
  completed: number;
  errors: number;
  firstError?: string;
  /** Wall time from the first request to the last stream's end. */
  elapsedMs: number;
}

/**
 * Open `count` streams at once and read them to the end, calling `sample(open)` every
 * `sampleEveryMs` while they run (the caller reads the server's memory there).
 */
export async function holdStreams(spec: RequestSpec, count: number, sampleEveryMs: number, sample: (open: number) => void): Promise<HoldResult> {
  const pool = new Pool(spec.url, { connections: count, pipelining: 1, headersTimeout: 300_000, bodyTimeout: 300_000 });
  let open = 0;
  let peakOpen = 0;
  let completed = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const timer = setInterval(() => sample(open), sampleEveryMs);
  const one = async (i: number) => {
    try {
      const body = spec.bodies?.length ? spec.bodies[i % spec.bodies.length]! : spec.body;
      const res = await pool.request({ method: 'POST', path: spec.path, headers: spec.headers, body });
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${(await res.body.text()).slice(0, 200)}`);
      open++;
      peakOpen = Math.max(peakOpen, open);
      try {
        for await (const _ of res.body as AsyncIterable<Buffer>) void _;
      } finally {
        open--;
      }
      completed++;
    } catch (err) {
      errors++;
      firstError ??= describe(err);
    }
  };
  try {
    await Promise.all(Array.from({ length: count }, (_, i) => one(i)));
  } finally {
    clearInterval(timer);
    await pool.close().catch(() => pool.destroy());
  }
  return { streams: count, peakOpen, completed, errors, firstError, elapsedMs: Math.round(performance.now() - t0) };
}
