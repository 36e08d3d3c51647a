import { randomUUID } from 'node:crypto';
import type { Exchange, RoutePlan, Store } from '@cch/core';

/**
 * Requests in flight per provider. Each instance counts its own in memory — nothing on the
 * request path touches the store — and publishes its counts as one hash, at most every
 * `PUBLISH_MS` while they change and as a heartbeat while any is non-zero. The hash expires
 * (`maxAgeMs`), so an instance that died mid-request stops counting on its own. A read sums this
 * instance's live counts and every other instance's last published ones.
 */
export interface InflightTracker {
  /** Count `ex` against a provider, ending the count of its previous attempt if any. */
  begin(ex: Exchange, providerId: number): void;
  /** Stop counting `ex` (at settle). */
  finish(ex: Exchange): void;
  /** Counts for the given provider ids, across instances. */
  counts(providerIds: number[]): Promise<Map<number, number>>;
  /** Make `plan` count each candidate it hands out (wrapped in place, like the limit plugins do). */
  watchPlan(plan: RoutePlan, ex: Exchange): void;
  /** Stop publishing and remove this instance's hash. */
  close(): Promise<void>;
}

const PREFIX = 'acct:inflight:';
const PUBLISH_MS = 250;
const HEARTBEAT_MS = 2_000;
const STATE = 'accountingInflightProvider';

export function createInflightTracker(store: Store, maxAgeMs: number, onError: (err: unknown) => void): InflightTracker {
  const me = `${PREFIX}${randomUUID()}`;
  const local = new Map<number, number>();
  let timer: NodeJS.Timeout | undefined;
  let published = false;

  const publish = () => {
    timer = undefined;
    const fields: Record<string, number> = {};
    let any = false;
    for (const [pid, n] of local) {
      fields[String(pid)] = n;
      if (n > 0) any = true;
      else local.delete(pid);
    }
    if (!any && !published) return;
    published = any;
    const write = any ? store.del(me).then(() => store.hset(me, fields, Math.max(maxAgeMs, HEARTBEAT_MS * 3))) : store.del(me);
    write.catch(onError);
  };
  const schedule = () => {
    timer ??= setTimeout(publish, PUBLISH_MS);
    timer.unref();
  };
  const heartbeat = setInterval(() => {
    if (published && !timer) publish();
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const change = (pid: number, by: number) => {
    local.set(pid, Math.max(0, (local.get(pid) ?? 0) + by));
    schedule();
  };

  const tracker: InflightTracker = {
    begin(ex, providerId) {
      tracker.finish(ex);
      ex.state[STATE] = providerId;
      change(providerId, 1);
    },
    finish(ex) {
      const pid = ex.state[STATE];
      if (typeof pid !== 'number') return;
      // Not `delete`: that turns the exchange's shared state object into a slow dictionary.
      ex.state[STATE] = undefined;
      change(pid, -1);
    },
    async counts(ids) {
      const out = new Map<number, number>(ids.map((id) => [id, local.get(id) ?? 0]));
      if (!ids.length) return out;
      const others = (await store.scan(`${PREFIX}*`, 10_000)).filter((k) => k !== me);
      for (const fields of await Promise.all(others.map((k) => store.hgetall(k)))) {
        for (const id of ids) out.set(id, out.get(id)! + Number(fields[String(id)] ?? 0));
      }
      return out;
    },
    watchPlan(plan, ex) {
      const pick = plan.next;
      plan.next = (failed) => {
        const c = pick.call(plan, failed);
        if (c) tracker.begin(ex, c.provider.id);
        else tracker.finish(ex);
        return c;
      };
    },
    async close() {
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      await store.del(me).catch(onError);
    },
  };
  return tracker;
}
