import { createMemoryStore, type Clock, type Logger, type ScriptDefinition, type ScriptRunner, type Store } from '@cch/core';
import { batcherFor } from './batch.ts';

/** Which backend answered a call. */
export type Backend = 'shared' | 'local';

/** Health of a limit plugin's counters, for /readyz and the admin API. */
export interface FailoverStatus {
  /** True while counters live in per-instance memory because the shared store failed. */
  degraded: boolean;
  /** When the current outage began. */
  since: Date | undefined;
  /** The error that started it. */
  lastError: string | undefined;
  /** Settle calls waiting to be replayed into the shared store. */
  pendingReplays: number;
}

export interface CallOptions {
  /**
   * Run on this backend: a release must go where its acquire went. `shared` while degraded
   * rejects at once (queued first when `replay`), since the local store never saw the acquire.
   */
  on?: Backend;
  /** When the call cannot reach the shared store, run it locally and replay it there later. */
  replay?: boolean;
}

/** A script defined on both backends; resolves with its value and where it ran. */
export type FailoverScript<R> = (keys: string[], args: (string | number)[], opts?: CallOptions) => Promise<{ value: R; on: Backend }>;

export interface FailoverStore {
  define<R>(def: ScriptDefinition): FailoverScript<R>;
  status(): FailoverStatus;
  /** Stop probing; drops queued replays. */
  close(): Promise<void>;
}

export interface FailoverOptions {
  /** The gateway's store (Redis or memory). */
  shared: Store;
  logger: Pick<Logger, 'warn' | 'info' | 'error'>;
  /** Time source of the local fallback store's TTLs (tests). */
  clock?: Clock;
  /** A shared-store call slower than this counts as a failure. Default 2000. */
  callTimeoutMs?: number;
  /** While degraded, how often the shared store is pinged. Default 5000. */
  probeIntervalMs?: number;
  /** Replays kept while degraded; the oldest are dropped beyond it. Default 10000. */
  maxReplays?: number;
}

interface Pending {
  run: (keys: string[], args: (string | number)[]) => Promise<unknown>;
  keys: string[];
  args: (string | number)[];
}

/**
 * Runs limit scripts on the shared store and, when it fails, on a per-instance memory store
 * instead (fail open to local counters: limits keep holding per instance). Logs once per
 * outage, pings the shared store in the background, and switches back when it answers,
 * replaying queued settle calls so spend recorded during the outage is not lost.
 * With a memory store as the shared store there is nothing to fail over to: calls go straight to it.
 */
export function createFailoverStore(opts: FailoverOptions): FailoverStore {
  const { shared, logger } = opts;
  const callTimeoutMs = opts.callTimeoutMs ?? 2000;
  const probeIntervalMs = opts.probeIntervalMs ?? 5000;
  const maxReplays = opts.maxReplays ?? 10_000;
  const local = shared.kind === 'memory' ? shared : createMemoryStore({ clock: opts.clock });
  let degraded = false;
  let since: Date | undefined;
  let lastError: string | undefined;
  let probing = false;
  let lastProbe = 0;
  let closed = false;
  let replays: Pending[] = [];
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;

  function fail(err: unknown): void {
    if (degraded) return;
    degraded = true;
    since = new Date();
    lastError = err instanceof Error ? err.message : String(err);
    lastProbe = Date.now();
    logger.warn({ err: lastError }, 'limit store unreachable: falling back to per-instance memory counters until it answers again');
    // Probe without waiting for traffic, so status and replays recover on an idle instance too.
    timer ??= setInterval(maybeProbe, probeIntervalMs);
    timer.unref();
  }

  function stopProbing(): void {
    if (timer) clearInterval(timer);
    timer = undefined;
  }

  function queue(p: Pending): void {
    replays.push(p);
    if (replays.length > maxReplays) {
      replays.shift();
      if (dropped++ % 1000 === 0) logger.error({ maxReplays }, 'limit store outage: replay queue full, oldest settlements dropped');
    }
  }

  async function recover(): Promise<void> {
    const batch = replays;
    replays = [];
    degraded = false;
    stopProbing();
    logger.info({ outageMs: since ? Date.now() - since.getTime() : undefined, replays: batch.length }, 'limit store reachable again: back to shared counters');
    since = undefined;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      try {
        await p.run(p.keys, p.args); // the shared runner carries its own deadline
      } catch (err) {
        fail(err);
        replays = [...batch.slice(i), ...replays];
        return;
      }
    }
  }

  function maybeProbe(): void {
    if (!degraded || probing || closed || Date.now() - lastProbe < probeIntervalMs) return;
    probing = true;
    lastProbe = Date.now();
    shared
      .ping()
      .then((ok) => (ok && degraded && !closed ? recover() : undefined))
      .catch(() => undefined)
      .finally(() => {
        probing = false;
      });
  }

  return {
    define<R>(def: ScriptDefinition): FailoverScript<R> {
      if (local === shared) {
        const run = shared.defineScript<R>(def);
        return async (keys, args) => ({ value: await run(keys, args), on: 'shared' });
      }
      // The shared store is Redis: calls made in the same turn of the event loop share one script call (and one
      // deadline, `callTimeoutMs`); one per hash slot on a cluster.
      const batcher = batcherFor(shared);
      batcher.register(def);
      const runShared: ScriptRunner<R> = (keys, args) => batcher.run<R>(def, keys, args, callTimeoutMs);
      const runLocal = local.defineScript<R>(def);
      return async (keys, args, o = {}) => {
        if (o.on === 'local') return { value: await runLocal(keys, args), on: 'local' };
        maybeProbe();
        if (degraded && o.on === 'shared') {
          // The acquire lived in the shared store: replaying there later is all that makes sense.
          if (o.replay) queue({ run: runShared, keys, args });
          throw new Error('shared limit store unavailable');
        }
        if (!degraded) {
          try {
            return { value: await runShared(keys, args), on: 'shared' };
          } catch (err) {
            fail(err);
            if (o.on === 'shared') {
              if (o.replay) queue({ run: runShared, keys, args });
              throw err;
            }
          }
        }
        const value = await runLocal(keys, args);
        if (o.replay) queue({ run: runShared, keys, args });
        return { value, on: 'local' };
      };
    },
    status: () => ({ degraded, since, lastError: degraded ? lastError : undefined, pendingReplays: replays.length }),
    async close() {
      closed = true;
      stopProbing();
      replays = [];
      if (local !== shared) await local.close();
    },
  };
}
