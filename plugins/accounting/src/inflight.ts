import type { Exchange, LocalDb, RoutePlan, Store } from '@cch/core';

/**
 * Requests in flight per provider, shared by every instance through the store: one sorted set
 * per provider of exchange ids scored by start time. Entries older than `maxAgeMs` are ignored
 * and pruned, so an instance that died mid-request does not inflate the count forever.
 */
export interface InflightTracker {
  /** Count `ex` against a provider, ending the count of its previous attempt if any. */
  begin(ex: Exchange, providerId: number): void;
  /** Stop counting `ex` (at settle). */
  finish(ex: Exchange): void;
  /** Counts for the given provider ids. */
  counts(providerIds: number[]): Promise<Map<number, number>>;
  /** Make `plan` count each candidate it hands out (wrapped in place, like the limit plugins do). */
  watchPlan(plan: RoutePlan, ex: Exchange): void;
}

// One hash slot so the multi-key count stays valid on Redis Cluster.
const key = (providerId: number) => `acct:{acct-inflight}:${providerId}`;
const STATE = 'accountingInflightProvider';

const ADD_LUA = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`;
const DEL_LUA = `return redis.call('ZREM', KEYS[1], ARGV[1])`;
const COUNT_LUA = `
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', k, '-inf', ARGV[1])
  out[i] = redis.call('ZCARD', k)
end
return out
`;

export function createInflightTracker(store: Store, maxAgeMs: number, onError: (err: unknown) => void): InflightTracker {
  const add = store.defineScript<number>({
    name: 'acct_inflight_add',
    lua: ADD_LUA,
    local: (db: LocalDb, keys, a) => {
      db.zadd(keys[0]!, Number(a[0]), a[1]!);
      db.pexpire(keys[0]!, Number(a[2]));
      return 1;
    },
  });
  const del = store.defineScript<number>({ name: 'acct_inflight_del', lua: DEL_LUA, local: (db, keys, a) => db.zrem(keys[0]!, a[0]!) });
  const count = store.defineScript<number[]>({
    name: 'acct_inflight_count',
    lua: COUNT_LUA,
    local: (db, keys, a) =>
      keys.map((k) => {
        db.zremRangeByScore(k, -Infinity, Number(a[0]));
        return db.zcard(k);
      }),
  });

  const tracker: InflightTracker = {
    begin(ex, providerId) {
      tracker.finish(ex);
      ex.state[STATE] = providerId;
      add([key(providerId)], [Date.now(), ex.id, maxAgeMs]).catch(onError);
    },
    finish(ex) {
      const pid = ex.state[STATE];
      if (typeof pid !== 'number') return;
      delete ex.state[STATE];
      del([key(pid)], [ex.id]).catch(onError);
    },
    async counts(ids) {
      const out = new Map<number, number>();
      if (!ids.length) return out;
      const n = await count(ids.map(key), [Date.now() - maxAgeMs]);
      ids.forEach((id, i) => out.set(id, Number(n[i] ?? 0)));
      return out;
    },
    watchPlan(plan, ex) {
      const pick = plan.next.bind(plan);
      plan.next = (failed) => {
        const c = pick(failed);
        if (c) tracker.begin(ex, c.provider.id);
        else tracker.finish(ex);
        return c;
      };
    },
  };
  return tracker;
}
