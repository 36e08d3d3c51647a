import { createMemoryStore, withDeadline, type Clock, type Logger, type ScriptDefinition, type Store } from '@cch/core';

/** How long one store call may take before the breaker decides without it. */
const CALL_TIMEOUT_MS = 500;
/** After a failure, how long to stay on local state before trying the shared store again. */
const RETRY_SHARED_MS = 5_000;

/** A script runner that never rejects because shared storage is down. */
export type SafeRunner = (keys: string[], args: (string | number)[]) => Promise<unknown>;

/** The subset of a store the breaker needs, failing over to per-instance memory. */
export interface ResilientStore {
  defineScript(def: ScriptDefinition): SafeRunner;
  hgetall(key: string): Promise<Record<string, string>>;
  /** `shared` while the configured store answers, `local` while running on this instance's memory. */
  mode(): 'shared' | 'local';
  /** When the current outage began (epoch ms), if the shared store is down. */
  degradedSince(): number | undefined;
  close(): Promise<void>;
}

/**
 * Wrap the gateway store so breaker storage fails open: when a call errors or stalls, the breaker
 * carries on with per-instance memory state (logged once per outage) and returns to the shared
 * store a few seconds later. A memory primary is already local and is used as is.
 */
export function createResilientStore(primary: Store, clock: Clock, logger: Logger): ResilientStore {
  const local = primary.kind === 'memory' ? undefined : createMemoryStore({ clock });
  let since: number | undefined;
  let retryAt = 0;

  async function run<T>(shared: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    if (!local) return shared();
    if (since !== undefined && clock.now() < retryAt) return fallback();
    try {
      const result = await withTimeout(shared(), CALL_TIMEOUT_MS);
      if (since !== undefined) {
        logger.info({ downMs: clock.now() - since }, 'circuit-breaker: shared store is back; breaker state is shared again');
        since = undefined;
      }
      return result;
    } catch (err) {
      if (since === undefined) {
        since = clock.now();
        logger.warn({ err }, 'circuit-breaker: store unavailable; using per-instance breaker state until it returns (traffic is not rejected)');
      }
      retryAt = clock.now() + RETRY_SHARED_MS;
      return fallback();
    }
  }

  return {
    defineScript(def) {
      const shared = primary.defineScript(def);
      const fallback = local?.defineScript(def);
      return (keys, args) => run(() => shared(keys, args), () => fallback!(keys, args));
    },
    hgetall: (key) => run(() => primary.hgetall(key), () => local!.hgetall(key)),
    mode: () => (since === undefined ? 'shared' : 'local'),
    degradedSince: () => since,
    close: async () => {
      await local?.close();
    },
  };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return withDeadline(p, ms, `store call timed out after ${ms} ms`);
}
