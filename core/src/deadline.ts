/**
 * Time limits for store and service calls on the hot path without a timer per call: pending
 * calls sit in a set that one shared interval sweeps every {@link RESOLUTION_MS}. A request makes
 * several such calls, so a `setTimeout` + `Promise.race` each was a measurable share of CPU and
 * garbage. Deadlines are honoured to within the resolution.
 */
const RESOLUTION_MS = 25;

interface Waiter {
  at: number;
  reject: (err: Error) => void;
  message: string;
}

const waiters = new Set<Waiter>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = performance.now();
  for (const w of waiters) {
    if (w.at > now) continue;
    waiters.delete(w);
    w.reject(new Error(w.message));
  }
  if (waiters.size === 0 && sweeper) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Settles like `p`, or rejects with `Error(message)` once `ms` have passed (±25 ms). A late
 * rejection of `p` after the deadline is swallowed.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const w: Waiter = { at: performance.now() + ms, reject, message };
    waiters.add(w);
    if (!sweeper) {
      // Not unref'd: like the per-call timer it replaces, a pending deadline keeps the process up.
      sweeper = setInterval(sweep, RESOLUTION_MS);
    }
    p.then(
      (v) => {
        waiters.delete(w);
        resolve(v);
      },
      (err: unknown) => {
        waiters.delete(w);
        reject(err);
      },
    );
  });
}
