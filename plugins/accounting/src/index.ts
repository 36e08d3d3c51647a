import path from 'node:path';
import { Type } from '@sinclair/typebox';
import { definePlugin } from '@cch/core';
import { createCostStep, createPricingService, type PricingService } from './cost.ts';
import { createInflightTracker } from './inflight.ts';
import { observeExchange, registerMetrics } from './metrics.ts';
import { createMonitoring, type MonitoringService } from './monitoring.ts';
import { createPricing, type PriceOverride } from '@cch/core';
import { scheduleRetention } from './retention.ts';
import { mountRoutes } from './routes.ts';
import { toRow, type CostState } from './row.ts';
import { createSessionTracker } from './sessions.ts';
import { openSpool } from './spool.ts';
import { createLogWriter, type LogWriter } from './writer.ts';

declare module '@cch/core' {
  interface Services {
    requestLog: LogWriter;
    pricing: PricingService;
    monitoring: MonitoringService;
  }
}

const PerMillion = (what: string) => Type.Number({ minimum: 0, maximum: 1_000_000, description: `USD per million ${what}.` });

const PriceSchema = Type.Object(
  {
    input: PerMillion('input tokens (uncached)'),
    output: PerMillion('output tokens (reasoning included)'),
    cacheWrite: Type.Optional(PerMillion('cache-write tokens, 5 minute TTL (default: 1.25× input for Claude models, else input)')),
    cacheWrite1h: Type.Optional(PerMillion('cache-write tokens, 1 hour TTL (default: 2× input for Claude models, else cacheWrite)')),
    cacheRead: Type.Optional(PerMillion('cache-read tokens (default: 0.1× input for Claude models, else input)')),
  },
  { additionalProperties: false },
);

const options = Type.Object(
  {
    batchSize: Type.Integer({ minimum: 1, maximum: 5000, default: 200, description: 'Rows per INSERT.' }),
    flushIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 250, description: 'Longest a row waits in memory before a write is attempted.' }),
    maxQueue: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 100_000, description: 'Rows held in memory; reaching it moves them to the spool at once.' }),
    spoolAfterMs: Type.Integer({
      minimum: 50,
      maximum: 60_000,
      default: 1000,
      description: 'A row not in the database after this long is written to the on-disk spool (the crash-loss bound).',
    }),
    maxSpoolMb: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 1024, description: 'Largest spool on disk, in MiB; past it rows stay in memory, then are dropped (0 = no limit).' }),
    closeTimeoutMs: Type.Integer({ minimum: 0, maximum: 120_000, default: 5000, description: 'At shutdown, how long to try the database before spooling what is left.' }),
    retentionDays: Type.Integer({ minimum: 0, maximum: 36_500, default: 90, description: 'Delete request-log rows older than this many days (hourly); 0 keeps them forever.' }),
    retentionBatchSize: Type.Integer({ minimum: 100, maximum: 100_000, default: 5000, description: 'Rows per DELETE in the retention job.' }),
    prices: Type.Record(Type.String({ minLength: 1 }), PriceSchema, {
      default: {},
      description: 'Price overrides by model name, in USD per million tokens; they win over the built-in table.',
    }),
  },
  { additionalProperties: false },
);

/** Inflight entries older than this are treated as leaked by a dead instance. */
const INFLIGHT_MAX_AGE_MS = 60 * 60_000;

/**
 * Prices every settled exchange, writes one request-log row for it (batched, spooled to disk
 * when the database cannot keep up), keeps active sessions and in-flight counts in the store,
 * and offers the `pricing`, `requestLog` and `monitoring` services.
 */
export default definePlugin({
  name: 'accounting',
  version: '0.2.0',
  core: '0.1.x',
  kind: 'accounting',
  description: 'Cost per request, request log that survives database outages, usage leaderboards, provider status and metrics.',
  options,
  setup(ctx) {
    const o = ctx.options;
    const pricing = createPricing(o.prices as Record<string, PriceOverride>);
    ctx.provide('pricing', createPricingService(pricing));

    const spool = openSpool({ dir: path.join(ctx.env.dataDir, 'spool'), maxBytes: o.maxSpoolMb * 1024 * 1024 }, ctx.logger);
    const writer = createLogWriter(ctx.db, o, ctx.logger, spool);
    ctx.provide('requestLog', writer);
    // Spool segments left by an earlier run go in before anything new.
    if (writer.stats().spooledRows > 0) void writer.flush();

    const sessions = createSessionTracker(ctx.store, ctx.env.sessionTtlSeconds * 1000, (err) => ctx.logger.debug({ err }, 'active-session update failed'));
    ctx.onClose(() => sessions.close());
    const inflight = createInflightTracker(ctx.store, INFLIGHT_MAX_AGE_MS, (err) => ctx.logger.debug({ err }, 'in-flight count update failed'));
    ctx.onClose(() => inflight.close());
    ctx.provide(
      'monitoring',
      createMonitoring({ db: ctx.db, providers: ctx.providers, sessions, inflight, logStats: () => writer.stats(), timezone: ctx.config.settings?.timezone ?? 'UTC' }),
    );
    mountRoutes(ctx.router, ctx.inject('monitoring'));

    const metrics = registerMetrics(ctx.metrics, { logStats: () => writer.stats(), breakerSnapshot: () => ctx.tryInject('breaker')?.snapshot() });

    // Count each attempt against its provider while it runs (the route plan is final by now).
    ctx.use(
      'proxy',
      async (pctx, next) => {
        const ex = pctx.exchange;
        const watched = ex.plan !== undefined;
        if (ex.plan) inflight.watchPlan(ex.plan, ex);
        await next();
        // Without a route plugin the core's default plan is invisible: count from here to settle.
        if (!watched && ex.provider) inflight.begin(ex, ex.provider.id);
      },
      { order: 'post' },
    );

    const priceExchange = createCostStep(pricing, ctx.logger);
    ctx.onSettle(async (ex) => {
      inflight.finish(ex);
      priceExchange(ex);
      writer.add(toRow(ex));
      observeExchange(metrics, ex);
      sessions.record(ex, (ex.state as CostState).costUsd ?? '0');
    });

    const stopRetention = scheduleRetention(
      ctx.db,
      ctx.store,
      { retentionDays: o.retentionDays, batchSize: o.retentionBatchSize, intervalMs: 60 * 60_000, firstDelayMs: 60_000 },
      ctx.logger,
    );
    ctx.onClose(async () => {
      await stopRetention();
      await writer.close();
    });
  },
});

export type { LogWriter, LogWriterStats } from './writer.ts';
export type { PricingService } from './cost.ts';
export type { MonitoringService, ProviderStatus, ActiveSession, Leaderboard, LeaderboardEntry, LeaderboardQuery } from './monitoring.ts';
export type { LogRow } from './row.ts';
export { registerMetrics, observeExchange, type AccountingMetrics, type MetricSources } from './metrics.ts';
