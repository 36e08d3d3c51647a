import type { SetupContext } from '@cch/core';
import type { LeaderboardDimension, LeaderboardPeriod, LeaderboardQuery, MonitoringService } from './monitoring.ts';

type Router = SetupContext['router'];
type Query = Record<string, string | string[] | undefined>;

const DIMENSIONS: readonly LeaderboardDimension[] = ['user', 'key', 'provider', 'model'];
const PERIODS: readonly LeaderboardPeriod[] = ['day', 'week', 'month'];
const ORDERS = ['cost', 'requests', 'tokens'] as const;

/** A query parameter the client got wrong: answered 400, never 500. */
class BadQuery extends Error {}

/**
 * Admin routes under `/api/v1/plugins/accounting/` (the core checks the admin session first):
 * `sessions`, `leaderboard`, `providers` and `log`. Parameters are validated here so a typo
 * is a 400 with a message, never a database error.
 */
export function mountRoutes(router: Router, monitoring: MonitoringService): void {
  router.get('/sessions', async (c) => {
    await answer(c, async (q) => ({ items: await monitoring.activeSessions({ limit: int(q, 'limit', 1, 5000) }) }));
  });

  router.get('/leaderboard', async (c) => {
    await answer(c, (q) => monitoring.leaderboard(leaderboardQuery(q)));
  });

  router.get('/providers', async (c) => {
    await answer(c, async (q) => {
      const raw = one(q, 'windows');
      let windowsMinutes: number[] | undefined;
      if (raw !== undefined) {
        windowsMinutes = raw.split(',').map((s) => {
          const n = Number(s.trim());
          if (!s.trim() || !Number.isInteger(n) || n < 1 || n > 525_600) throw new BadQuery('windows must be comma-separated whole minutes between 1 and 525600');
          return n;
        });
        if (windowsMinutes.length > 10) throw new BadQuery('windows: at most 10 windows');
      }
      return { items: await monitoring.providerStatus(windowsMinutes ? { windowsMinutes } : undefined) };
    });
  });

  router.get('/log', async (c) => {
    await answer(c, async () => {
      const { lastError, ...stats } = monitoring.logStatus();
      return { ...stats, lastError: lastError ?? null };
    });
  });
}

/** Parse `by`, `period` | `from`/`to`, `limit` and `orderBy`. */
export function leaderboardQuery(q: Query): LeaderboardQuery {
  const by = one(q, 'by') ?? 'user';
  if (!DIMENSIONS.includes(by as LeaderboardDimension)) throw new BadQuery(`by must be one of ${DIMENSIONS.join(', ')}`);
  const out: LeaderboardQuery = { by: by as LeaderboardDimension };
  const period = one(q, 'period');
  if (period !== undefined) {
    if (!PERIODS.includes(period as LeaderboardPeriod)) throw new BadQuery(`period must be one of ${PERIODS.join(', ')}`);
    out.period = period as LeaderboardPeriod;
  }
  const from = date(q, 'from');
  const to = date(q, 'to');
  if (to && !from) throw new BadQuery('to needs from');
  if (from && period !== undefined) throw new BadQuery('give either period or from/to, not both');
  if (from && to && from.getTime() >= to.getTime()) throw new BadQuery('from must be before to');
  if (from) out.from = from;
  if (to) out.to = to;
  const limit = int(q, 'limit', 1, 1000);
  if (limit !== undefined) out.limit = limit;
  const orderBy = one(q, 'orderBy');
  if (orderBy !== undefined) {
    if (!(ORDERS as readonly string[]).includes(orderBy)) throw new BadQuery(`orderBy must be one of ${ORDERS.join(', ')}`);
    out.orderBy = orderBy as LeaderboardQuery['orderBy'];
  }
  return out;
}

async function answer(c: { query: Query; status: number; body: unknown }, run: (q: Query) => Promise<unknown>): Promise<void> {
  try {
    c.body = await run(c.query);
  } catch (err) {
    if (!(err instanceof BadQuery || err instanceof RangeError)) throw err;
    c.status = 400;
    c.body = { error: { message: err.message } };
  }
}

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw new BadQuery(`${name} given more than once`);
  return v === undefined || v === '' ? undefined : v;
}

function int(q: Query, name: string, min: number, max: number): number | undefined {
  const raw = one(q, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new BadQuery(`${name} must be an integer between ${min} and ${max}`);
  return n;
}

function date(q: Query, name: string): Date | undefined {
  const raw = one(q, name);
  if (raw === undefined) return undefined;
  // ISO 8601 only: Date.parse accepts many other shapes that would be guessed at.
  const d = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw) ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new BadQuery(`${name} must be an ISO 8601 date or time`);
  return d;
}
