import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { SettledExchange } from '@cch/core';
import type { LogWriterStats } from './writer.ts';
import type { CostState } from './row.ts';

/** The accounting plugin's Prometheus metrics. */
export interface AccountingMetrics {
  requests: Counter<'provider' | 'model' | 'status' | 'outcome'>;
  duration: Histogram<'provider' | 'model'>;
  ttfb: Histogram<'provider' | 'model'>;
  tokens: Counter<'provider' | 'model' | 'type'>;
  cost: Counter<'provider' | 'model'>;
  unpriced: Counter<'model'>;
  limitRejections: Counter<'status' | 'kind'>;
  circuitState: Gauge<'provider' | 'state'>;
  logQueueDepth: Gauge;
  logSpooledRows: Gauge;
  logDroppedRows: Gauge;
  /** The `model` label for a model name: bounded, so clients cannot grow the label set without end. */
  modelLabel(model: string | undefined): string;
}

/** Distinct model label values per registry; later ones are reported as `other`. */
const MAX_MODEL_LABELS = 500;

/** Live values read at scrape time. Both are optional: a missing source leaves its gauges empty. */
export interface MetricSources {
  logStats?: () => LogWriterStats;
  /** The breaker service's `snapshot()` (may be async), when a breaker plugin is loaded. */
  breakerSnapshot?: () => unknown;
}

const CIRCUIT_STATES = ['closed', 'half_open', 'open'] as const;

/** Register the metrics on `registry` (once per registry) and return them. */
export function registerMetrics(registry: Registry, sources: MetricSources = {}): AccountingMetrics {
  const registers = [registry];
  const models = new Set<string>();
  return {
    modelLabel(model) {
      if (!model) return 'unknown';
      if (models.has(model)) return model;
      if (models.size >= MAX_MODEL_LABELS) return 'other';
      models.add(model);
      return model;
    },
    requests: new Counter({ name: 'cch_requests_total', help: 'Proxied requests by provider, model, HTTP status and outcome.', labelNames: ['provider', 'model', 'status', 'outcome'] as const, registers }),
    duration: new Histogram({
      name: 'cch_request_duration_seconds',
      help: 'Time from arrival to the end of the response (stream drained).',
      labelNames: ['provider', 'model'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    ttfb: new Histogram({
      name: 'cch_request_ttfb_seconds',
      help: 'Time from arrival to the first byte from the provider.',
      labelNames: ['provider', 'model'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    }),
    tokens: new Counter({ name: 'cch_tokens_total', help: 'Tokens by type: input (uncached), output, cache_creation, cache_read, reasoning (part of output).', labelNames: ['provider', 'model', 'type'] as const, registers }),
    cost: new Counter({ name: 'cch_cost_usd_total', help: 'Cost in USD (provider cost multiplier applied).', labelNames: ['provider', 'model'] as const, registers }),
    unpriced: new Counter({ name: 'cch_unpriced_requests_total', help: 'Requests with tokens whose model has no known price (logged at $0).', labelNames: ['model'] as const, registers }),
    limitRejections: new Counter({ name: 'cch_limit_rejections_total', help: 'Requests refused by a limit before reaching a provider (429 rate, 402 quota).', labelNames: ['status', 'kind'] as const, registers }),
    circuitState: new Gauge({
      name: 'cch_circuit_state',
      help: 'Circuit breaker state per provider: 1 for the current state, 0 for the others.',
      labelNames: ['provider', 'state'] as const,
      registers,
      async collect() {
        let snapshot: unknown;
        try {
          snapshot = await sources.breakerSnapshot?.();
        } catch {
          snapshot = undefined; // a breaker that cannot answer leaves the gauge empty for this scrape
        }
        this.reset();
        for (const [provider, state] of readCircuits(snapshot)) {
          for (const s of CIRCUIT_STATES) this.set({ provider, state: s }, s === state ? 1 : 0);
        }
      },
    }),
    logQueueDepth: new Gauge({
      name: 'cch_request_log_queue_depth',
      help: 'Request-log rows waiting in memory for the database.',
      registers,
      collect() {
        const s = sources.logStats?.();
        if (s) this.set(s.queued);
      },
    }),
    logSpooledRows: new Gauge({
      name: 'cch_request_log_spooled_rows',
      help: 'Request-log rows in the on-disk spool, waiting for the database.',
      registers,
      collect() {
        const s = sources.logStats?.();
        if (s) this.set(s.spooledRows);
      },
    }),
    logDroppedRows: new Gauge({
      name: 'cch_request_log_dropped_rows',
      help: 'Request-log rows given up on since start (memory full and spool unavailable).',
      registers,
      collect() {
        const s = sources.logStats?.();
        if (s) this.set(s.dropped);
      },
    }),
  };
}

/** Count one settled exchange (after its cost is on `ex.state`). */
export function observeExchange(m: AccountingMetrics, ex: SettledExchange): void {
  const provider = ex.provider?.name ?? 'none';
  // An unauthenticated caller's model name is not worth a label of its own.
  const model = ex.identity ? m.modelLabel(ex.servedModel ?? ex.model) : 'unauthenticated';
  m.requests.inc({ provider, model, status: String(ex.status), outcome: ex.outcome });
  m.duration.observe({ provider, model }, ex.durationMs / 1000);
  if (ex.ttfbMs !== undefined) m.ttfb.observe({ provider, model }, ex.ttfbMs / 1000);
  const u = ex.usage;
  if (u) {
    const add = (type: string, n: number | undefined) => {
      if (n && n > 0) m.tokens.inc({ provider, model, type }, n);
    };
    add('input', u.inputTokens);
    add('output', u.outputTokens);
    add('cache_creation', u.cacheCreationTokens);
    add('cache_read', u.cacheReadTokens);
    add('reasoning', u.reasoningTokens);
  }
  const state = ex.state as CostState;
  const usd = Number(state.costUsd ?? 0);
  if (usd > 0) m.cost.inc({ provider, model }, usd);
  if (state.costUnpriced) m.unpriced.inc({ model });
  if (ex.outcome === 'rejected' && (ex.status === 429 || ex.status === 402)) {
    m.limitRejections.inc({ status: String(ex.status), kind: ex.errorClass ?? 'unknown' });
  }
}

/**
 * Provider → state from a breaker snapshot: `{ providers: [...] }` (the circuit-breaker plugin),
 * an array of `{ provider | providerName | name, state }`, or a record of provider → state (or →
 * `{ state }`); states `closed`, `open`, `half-open` / `half_open` / `halfOpen`.
 */
export function readCircuits(snapshot: unknown): Map<string, (typeof CIRCUIT_STATES)[number]> {
  const out = new Map<string, (typeof CIRCUIT_STATES)[number]>();
  const put = (provider: unknown, state: unknown) => {
    if (typeof provider !== 'string' && typeof provider !== 'number') return;
    const s = typeof state === 'string' ? state.toLowerCase().replace(/[-\s]/g, '_').replace('halfopen', 'half_open') : '';
    if (s === 'closed' || s === 'open' || s === 'half_open') out.set(String(provider), s);
  };
  const stateOf = (v: unknown) => (v && typeof v === 'object' ? (v as { state?: unknown }).state : v);
  const list = Array.isArray(snapshot) ? snapshot : Array.isArray((snapshot as { providers?: unknown } | null)?.providers) ? (snapshot as { providers: unknown[] }).providers : undefined;
  if (list) {
    for (const e of list) {
      if (!e || typeof e !== 'object') continue;
      const r = e as Record<string, unknown>;
      put(r.providerName ?? r.provider ?? r.name ?? r.providerId, r.state);
    }
  } else if (snapshot && typeof snapshot === 'object') {
    for (const [k, v] of Object.entries(snapshot)) put(k, stateOf(v));
  }
  return out;
}
