/**
 * Two ways limit plugins avoid store work on the hot path:
 *
 * - {@link createTtlRefresher}: counter keys carry a TTL so an idle subject's keys disappear, but
 *   refreshing it on every call was a third of the Redis commands per request. Scripts take a
 *   flag instead, and this instance sets it at most once per `everyMs` per key family. TTLs are
 *   far longer than `everyMs` (minutes to hours), so keys in use never expire.
 * - {@link createReadCache}: a provider's counters, read by the balancer for every candidate of
 *   every request, are reused for a moment — but only while they are well below the limit
 *   ({@link roomy}), so a provider near its limit is always judged on a fresh reading.
 */
export interface TtlRefresher {
  /** 1 when the script should refresh the TTLs of this key family now, else 0. */
  due(key: string, now: number): 0 | 1;
}

const MAX_TRACKED = 50_000;

export function createTtlRefresher(everyMs: number): TtlRefresher {
  const last = new Map<string, number>();
  return {
    due(key, now) {
      const at = last.get(key);
      if (at !== undefined && now - at < everyMs) return 0;
      if (last.size >= MAX_TRACKED) last.clear();
      last.set(key, now);
      return 1;
    },
  };
}

export interface ReadCache<T> {
  /**
   * The value read for `key` within the last `ttlMs`, or a fresh read (shared by callers while it
   * runs). A reading for which `keep` says false is not reused after it arrives.
   */
  get(key: string | number, read: () => Promise<T>, keep: (value: T) => boolean): Promise<T>;
}

export function createReadCache<T>(ttlMs: number, clock: () => number = Date.now): ReadCache<T> {
  const entries = new Map<string | number, { at: number; value: Promise<T> }>();
  return {
    get(key, read, keep) {
      const now = clock();
      const hit = entries.get(key);
      if (hit && now - hit.at < ttlMs) return hit.value;
      const value = read();
      if (entries.size >= 10_000) entries.clear();
      const entry = { at: now, value };
      entries.set(key, entry);
      const forget = () => {
        if (entries.get(key) === entry) entries.delete(key);
      };
      value.then((v) => (keep(v) ? undefined : forget()), forget);
      return value;
    },
  };
}

/**
 * True when `used` is far enough below `limit` that requests arriving within a cache period
 * cannot plausibly reach it: at least 10 % of the limit and at least 2 below it.
 */
export function roomy(used: number, limit: number | null | undefined): boolean {
  if (limit == null) return true;
  return used <= limit - Math.max(2, limit / 10);
}
