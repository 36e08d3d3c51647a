import type { Database } from '@cch/core';
import { addUsd } from '@cch/core';

export type LeaderboardDimension = 'user' | 'key' | 'provider' | 'model';
/** Calendar periods in the configured time zone (week starts Monday). */
export type LeaderboardPeriod = 'day' | 'week' | 'month';

export interface LeaderboardQuery {
  by: LeaderboardDimension;
  /** A calendar period up to now; ignored when `from` is given. Default `day`. */
  period?: LeaderboardPeriod;
  /** Custom range start (inclusive). */
  from?: Date;
  /** Custom range end (exclusive); default now. */
  to?: Date;
  /** Default 20, at most 1000. */
  limit?: number;
  /** Default `cost`. */
  orderBy?: 'cost' | 'requests' | 'tokens';
}

export interface LeaderboardEntry {
  /** user id, key id or provider id; null for models. */
  id: number | null;
  /** User name, `user/key` for keys, provider name, or model. */
  name: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  /** Decimal USD. */
  costUsd: string;
  /** cacheRead / (input + cacheRead); null without input. */
  cacheHitRate: number | null;
}

export interface Leaderboard {
  by: LeaderboardDimension;
  from: string;
  to: string;
  entries: LeaderboardEntry[];
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface ProviderWindowStats {
  minutes: number;
  /** Upstream attempts (from each request's decision chain), client errors excluded. */
  attempts: number;
  successes: number;
  failures: number;
  /** successes / attempts; null without attempts. */
  successRate: number | null;
  /** Completed requests served by this provider. */
  requests: number;
  latencyMs: Percentiles | null;
  ttfbMs: Percentiles | null;
}

interface Dim {
  select: string;
  join: string;
  where: string;
  group: string;
}

const DIMS: Record<LeaderboardDimension, Dim> = {
  user: { select: 'l.user_id as id, coalesce(u.name, l.user_id::text) as name', join: 'left join cch_user u on u.id = l.user_id', where: 'l.user_id is not null', group: 'l.user_id, u.name' },
  key: {
    select: "l.key_id as id, coalesce(u.name, '-') || '/' || coalesce(k.name, l.key_id::text) as name",
    join: 'left join cch_api_key k on k.id = l.key_id left join cch_user u on u.id = k.user_id',
    where: 'l.key_id is not null',
    group: 'l.key_id, k.name, u.name',
  },
  provider: { select: 'max(l.provider_id) as id, l.provider_name as name', join: '', where: 'l.provider_name is not null', group: 'l.provider_name' },
  model: { select: 'null::int as id, coalesce(l.served_model, l.model) as name', join: '', where: 'coalesce(l.served_model, l.model) is not null', group: 'coalesce(l.served_model, l.model)' },
};

const ORDER = { cost: 'sum(l.cost_usd) desc, count(*) desc', requests: 'count(*) desc, sum(l.cost_usd) desc', tokens: 'sum(l.input_tokens + l.output_tokens + l.cache_creation_tokens + l.cache_read_tokens) desc, count(*) desc' };

type Row = Record<string, unknown>;

async function query(db: Database, sql: string, params: unknown[]): Promise<Row[]> {
  return (await db.em().getConnection().execute(sql, params, 'all')) as Row[];
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** Range bounds: a calendar period in `timezone` up to now, or the custom range. */
export async function resolveRange(db: Database, q: Pick<LeaderboardQuery, 'period' | 'from' | 'to'>, timezone: string): Promise<{ from: Date; to: Date }> {
  const to = q.to ?? new Date();
  if (q.from) return { from: q.from, to };
  const period = q.period ?? 'day';
  const [row] = await query(db, 'select date_trunc(?, now(), ?) as start', [period, timezone]);
  return { from: new Date(row!.start as string | Date), to };
}

/** Usage and spend per user, key, provider or model over a range (SQL aggregates on the request log). */
export async function leaderboard(db: Database, q: LeaderboardQuery, timezone: string): Promise<Leaderboard> {
  const dim = DIMS[q.by];
  const { from, to } = await resolveRange(db, q, timezone);
  const limit = Math.min(1000, Math.max(1, Math.floor(q.limit ?? 20)));
  const rows = await query(
    db,
    `select ${dim.select},
        count(*) as requests,
        coalesce(sum(l.input_tokens), 0) as input_tokens,
        coalesce(sum(l.output_tokens), 0) as output_tokens,
        coalesce(sum(l.cache_creation_tokens), 0) as cache_creation_tokens,
        coalesce(sum(l.cache_read_tokens), 0) as cache_read_tokens,
        coalesce(sum(l.cost_usd), 0)::text as cost_usd
      from cch_request_log l ${dim.join}
      where l.created_at >= ? and l.created_at < ? and ${dim.where}
      group by ${dim.group}
      order by ${ORDER[q.orderBy ?? 'cost']}
      limit ?`,
    [from, to, limit],
  );
  return {
    by: q.by,
    from: from.toISOString(),
    to: to.toISOString(),
    entries: rows.map((r) => {
      const input = num(r.input_tokens);
      const output = num(r.output_tokens);
      const cacheCreation = num(r.cache_creation_tokens);
      const cacheRead = num(r.cache_read_tokens);
      return {
        id: r.id === null || r.id === undefined ? null : Number(r.id),
        name: String(r.name),
        requests: num(r.requests),
        inputTokens: input,
        outputTokens: output,
        cacheCreationTokens: cacheCreation,
        cacheReadTokens: cacheRead,
        totalTokens: input + output + cacheCreation + cacheRead,
        costUsd: addUsd(String(r.cost_usd)),
        cacheHitRate: input + cacheRead > 0 ? cacheRead / (input + cacheRead) : null,
      };
    }),
  };
}

/**
 * Success rate (per upstream attempt, from the decision chain) and latency percentiles
 * (completed requests) per provider name over the last `minutes`.
 */
export async function providerWindow(db: Database, minutes: number): Promise<Map<string, ProviderWindowStats>> {
  const since = new Date(Date.now() - minutes * 60_000);
  const [attempts, latency] = await Promise.all([
    query(
      db,
      `select a.value->>'provider' as provider,
          count(*) filter (where a.value->>'errorClass' is null) as successes,
          count(*) filter (where a.value->>'errorClass' is not null) as failures
        from cch_request_log l
        cross join lateral jsonb_array_elements(case when jsonb_typeof(l.decision->'attempts') = 'array' then l.decision->'attempts' else '[]'::jsonb end) a
        where l.created_at >= ?
          and coalesce(a.value->>'errorClass', '') not in ('client', 'not_found')
        group by 1`,
      [since],
    ),
    query(
      db,
      `select l.provider_name as provider,
          count(*) as requests,
          percentile_cont(array[0.5, 0.95, 0.99]) within group (order by l.duration_ms) as latency,
          percentile_cont(array[0.5, 0.95, 0.99]) within group (order by l.ttfb_ms) filter (where l.ttfb_ms is not null) as ttfb
        from cch_request_log l
        where l.created_at >= ? and l.outcome = 'completed' and l.provider_name is not null
        group by 1`,
      [since],
    ),
  ]);
  const out = new Map<string, ProviderWindowStats>();
  const get = (name: string) => {
    let s = out.get(name);
    if (!s) out.set(name, (s = emptyWindow(minutes)));
    return s;
  };
  for (const r of attempts) {
    const s = get(String(r.provider));
    s.successes = num(r.successes);
    s.failures = num(r.failures);
    s.attempts = s.successes + s.failures;
    s.successRate = s.attempts ? s.successes / s.attempts : null;
  }
  for (const r of latency) {
    const s = get(String(r.provider));
    s.requests = num(r.requests);
    s.latencyMs = percentiles(r.latency);
    s.ttfbMs = percentiles(r.ttfb);
  }
  return out;
}

export function emptyWindow(minutes: number): ProviderWindowStats {
  return { minutes, attempts: 0, successes: 0, failures: 0, successRate: null, requests: 0, latencyMs: null, ttfbMs: null };
}

function percentiles(v: unknown): Percentiles | null {
  if (!Array.isArray(v) || v.length < 3 || v.some((x) => x === null)) return null;
  const [p50, p95, p99] = v.map((x) => Math.round(Number(x) * 10) / 10) as [number, number, number];
  return { p50, p95, p99 };
}
