import type { Database, ProviderDirectory } from '@cch/core';
import type { InflightTracker } from './inflight.ts';
import type { ActiveSession, SessionTracker } from './sessions.ts';
import { emptyWindow, leaderboard, providerWindow, type Leaderboard, type LeaderboardQuery, type ProviderWindowStats } from './stats.ts';
import type { LogWriterStats } from './writer.ts';

export type { ActiveSession } from './sessions.ts';
export type { Leaderboard, LeaderboardEntry, LeaderboardQuery, LeaderboardDimension, LeaderboardPeriod, Percentiles, ProviderWindowStats } from './stats.ts';

export interface ProviderStatus {
  providerId: number | null;
  providerName: string;
  /** From the provider directory; null for a provider only seen in the log. */
  enabled: boolean | null;
  /** Requests in flight on this provider, across instances (from the store). */
  inFlight: number;
  /** One entry per requested window, in the order asked. */
  windows: ProviderWindowStats[];
}

/** Service `monitoring`: what the admin API and console show about live traffic. */
export interface MonitoringService {
  /** Sessions active within SESSION_TTL, most recent first. */
  activeSessions(opts?: { limit?: number }): Promise<ActiveSession[]>;
  /** Spend and usage ranked by user, key, provider or model. */
  leaderboard(q: LeaderboardQuery): Promise<Leaderboard>;
  /** Success rate, latency percentiles and in-flight count per provider. Default windows: 5, 60, 1440 minutes. */
  providerStatus(opts?: { windowsMinutes?: number[] }): Promise<ProviderStatus[]>;
  /** The request log writer: queue, spool, health. */
  logStatus(): LogWriterStats;
}

const DIMENSIONS = new Set(['user', 'key', 'provider', 'model']);
const PERIODS = new Set(['day', 'week', 'month']);

export function createMonitoring(deps: {
  db: Database;
  providers: ProviderDirectory;
  sessions: SessionTracker;
  inflight: InflightTracker;
  logStats: () => LogWriterStats;
  timezone: string;
}): MonitoringService {
  return {
    activeSessions: (opts) => deps.sessions.list(Math.min(5000, Math.max(1, opts?.limit ?? 500))),
    async leaderboard(q) {
      // The dimension and period pick SQL fragments: only known values get that far.
      if (!DIMENSIONS.has(q.by)) throw new RangeError(`leaderboard: unknown dimension "${String(q.by)}"`);
      if (q.period !== undefined && !PERIODS.has(q.period)) throw new RangeError(`leaderboard: unknown period "${String(q.period)}"`);
      if (q.orderBy !== undefined && !['cost', 'requests', 'tokens'].includes(q.orderBy)) throw new RangeError(`leaderboard: unknown order "${String(q.orderBy)}"`);
      return leaderboard(deps.db, q, deps.timezone);
    },
    async providerStatus(opts) {
      const windows = (opts?.windowsMinutes ?? [5, 60, 1440]).map((m) => Math.max(1, Math.floor(m)));
      const perWindow = await Promise.all(windows.map((m) => providerWindow(deps.db, m)));
      const known = deps.providers.list();
      const names = new Set<string>(known.map((p) => p.name));
      for (const w of perWindow) for (const name of w.keys()) names.add(name);
      const inflight = await deps.inflight.counts(known.map((p) => p.id));
      return [...names].sort().map((name) => {
        const p = known.find((k) => k.name === name);
        return {
          providerId: p?.id ?? null,
          providerName: name,
          enabled: p ? p.enabled : null,
          inFlight: p ? (inflight.get(p.id) ?? 0) : 0,
          windows: perWindow.map((w, i) => w.get(name) ?? emptyWindow(windows[i]!)),
        };
      });
    },
    logStatus: deps.logStats,
  };
}
