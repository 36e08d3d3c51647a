import { randomUUID } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { definePlugin, type SettledExchange } from '@cch/core';
import { createDelivery, type Alert, type AlertType, type Severity } from './deliver.ts';
import { createSpendTracker, type Crossing, type Subject, type SubjectLevel } from './spend.ts';
import { mountRoutes } from './routes.ts';
import { createSpoolWatch } from './spool-watch.ts';
import { assertTimeZone, type UsdWindow } from './windows.ts';

/** What another plugin (or an admin action) passes to `alerts.emit`. */
export interface AlertInput {
  type?: AlertType;
  severity?: Severity;
  message: string;
  data?: Record<string, unknown>;
}

/** Service `alerts`. */
export interface AlertsService {
  /** Alerts raised by this instance, newest first (at most `recentSize`). */
  recent(limit?: number): Alert[];
  /** Raise an alert; resolves once its delivery finished (delivered, failed or disabled). */
  emit(input: AlertInput): Promise<Alert>;
  /** Resolves when every delivery started so far has finished. */
  idle(): Promise<void>;
}

declare module '@cch/core' {
  interface Services {
    alerts: AlertsService;
  }
}

const Level = Type.Union([Type.Literal('user'), Type.Literal('key'), Type.Literal('provider')]);

const options = Type.Object(
  {
    webhookUrl: Type.Optional(
      Type.String({ pattern: '^https?://', description: 'Where alerts are POSTed. Without it alerts are only logged and listed by the service.' }),
    ),
    format: Type.Union([Type.Literal('json'), Type.Literal('slack')], { default: 'json', description: '`json`: our payload; `slack`: a Slack incoming-webhook message.' }),
    headers: Type.Record(Type.String({ minLength: 1 }), Type.String(), { default: {}, description: 'Extra request headers, e.g. an Authorization token (use ${VAR}).' }),
    usdShare: Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8, description: 'Alert when spend reaches this share of a USD limit (once per window).' }),
    usdLevels: Type.Array(Level, { default: ['user', 'key', 'provider'], uniqueItems: true, description: 'Whose USD limits are watched.' }),
    circuitOpened: Type.Boolean({ default: true, description: 'Alert when a provider circuit opens (needs the circuit-breaker plugin).' }),
    spoolRows: Type.Integer({ minimum: 0, maximum: 10_000_000, default: 1, description: 'Alert when the request-log spool holds this many rows (0 = never).' }),
    spoolCheckSeconds: Type.Integer({ minimum: 1, maximum: 3600, default: 30, description: 'How often the request-log spool is checked.' }),
    retries: Type.Integer({ minimum: 0, maximum: 10, default: 5, description: 'Delivery retries after the first attempt (network errors, 408/429/5xx).' }),
    retryBaseMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000, description: 'First retry delay; doubles each retry (max 60 s), or the receiver’s Retry-After.' }),
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 5000, description: 'Per-attempt timeout.' }),
    recentSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 200, description: 'Alerts kept for `alerts.recent()`.' }),
  },
  { additionalProperties: false },
);

const WINDOW_LABEL: Record<UsdWindow, string> = { usd5h: '5-hour', usdDaily: 'daily', usdWeekly: 'weekly', usdMonthly: 'monthly', usdTotal: 'total' };
const LEVEL_LABEL: Record<SubjectLevel, string> = { user: 'User', key: 'Key', provider: 'Provider' };
const CLOSE_WAIT_MS = 3000;
const CIRCUIT_DEDUP_MS = 24 * 3_600_000;

/**
 * Webhook alerts for USD limits nearing exhaustion, provider circuits opening and the request
 * log spooling to disk. The target URL comes from configuration only.
 */
export default definePlugin({
  name: 'alerts',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'extension',
  description: 'Webhook alerts (JSON or Slack): USD quota thresholds, circuit opened, request-log spool growth.',
  options,
  dependsOn: ['accounting'],
  after: ['circuit-breaker'],
  setup(ctx) {
    const o = ctx.options;
    const timezone = ctx.config.settings?.timezone ?? 'UTC';
    assertTimeZone(timezone);
    const delivery = createDelivery({ url: o.webhookUrl, format: o.format, headers: o.headers, retries: o.retries, retryBaseMs: o.retryBaseMs, timeoutMs: o.timeoutMs }, ctx.logger);
    const recent: Alert[] = [];

    const service: AlertsService = {
      recent: (limit = o.recentSize) => recent.slice(0, Math.max(0, limit)),
      async emit(input) {
        const alert: Alert = {
          id: randomUUID(),
          type: input.type ?? 'custom',
          severity: input.severity ?? 'warning',
          at: new Date().toISOString(),
          message: input.message,
          data: input.data ?? {},
          delivery: { status: 'pending', attempts: 0 },
        };
        recent.unshift(alert);
        if (recent.length > o.recentSize) recent.length = o.recentSize;
        const log = alert.severity === 'info' ? ctx.logger.info.bind(ctx.logger) : ctx.logger.warn.bind(ctx.logger);
        log({ alert: alert.type, id: alert.id, ...alert.data }, alert.message);
        await delivery.send(alert);
        return alert;
      },
      idle: () => delivery.idle(),
    };
    ctx.provide('alerts', service);
    mountRoutes(ctx.router, service);
    const raise = (input: AlertInput) => void service.emit(input).catch((err: unknown) => ctx.logger.error({ err }, 'raising an alert failed'));

    // USD thresholds: the accounting plugin (a dependency, so its settle hook runs first) has priced the exchange.
    const levels = new Set<SubjectLevel>(o.usdLevels);
    const spend = createSpendTracker(ctx.store, { share: o.usdShare, timezone });
    ctx.onSettle(async (ex) => {
      const cost = ex.state.costUsd;
      if (typeof cost !== 'string' || cost === '0') return;
      const subjects = subjectsOf(ex, levels);
      if (!subjects.length) return;
      try {
        for (const c of await spend.record(subjects, cost)) raise(usdAlert(c));
      } catch (err) {
        ctx.logger.warn({ err: (err as Error).message }, 'alerts: spend counters unavailable');
      }
    });

    if (o.circuitOpened) {
      const breaker = ctx.tryInject('breaker');
      if (!breaker) ctx.logger.info('alerts: no circuit-breaker plugin loaded; circuit alerts are off');
      const off = breaker?.on('opened', (t) => {
        // One alert per opening, even if several instances report it.
        const key = `alerts:{alerts}:circuit:${t.providerId}:${t.openedAt ?? t.at}`;
        ctx.store
          .set(key, '1', { nx: true, ttlMs: CIRCUIT_DEDUP_MS })
          .then((fresh) => {
            if (!fresh) return;
            const name = t.provider ?? `#${t.providerId}`;
            const retry = t.retryAt ? `; probes resume at ${new Date(t.retryAt).toISOString()}` : '';
            raise({
              type: 'circuit_opened',
              severity: 'critical',
              message: `Circuit opened for provider "${name}" after ${t.failures} failure(s)${retry}`,
              data: { providerId: t.providerId, provider: name, failures: t.failures, openedAt: t.openedAt, retryAt: t.retryAt },
            });
          })
          .catch((err: unknown) => ctx.logger.warn({ err }, 'alerts: circuit alert dedup failed'));
      });
      if (off) ctx.onClose(off);
    }

    if (o.spoolRows > 0) {
      const watch = createSpoolWatch(o.spoolRows);
      const requestLog = ctx.inject('requestLog');
      const timer = setInterval(() => {
        const a = watch(requestLog.stats());
        if (a) raise({ type: 'log_spool', ...a });
      }, o.spoolCheckSeconds * 1000);
      timer.unref();
      ctx.onClose(() => clearInterval(timer));
    }

    ctx.onClose(async () => {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([delivery.idle(), new Promise((r) => (t = setTimeout(r, CLOSE_WAIT_MS)))]);
      clearTimeout(t);
    });
  },
});

/** The user (group limits overridden by the user's), the key and the provider of an exchange. */
export function subjectsOf(ex: SettledExchange, levels: Set<SubjectLevel>): Subject[] {
  const out: Subject[] = [];
  const id = ex.identity;
  if (id && levels.has('user')) out.push({ level: 'user', id: id.userId, name: id.userName, limits: { ...id.limits.group, ...id.limits.user } });
  if (id && levels.has('key')) out.push({ level: 'key', id: id.keyId, name: `${id.userName}/${id.keyName}`, limits: id.limits.key });
  if (ex.provider && levels.has('provider')) out.push({ level: 'provider', id: ex.provider.id, name: ex.provider.name, limits: ex.provider.limits });
  return out;
}

const money = (usd: string | number) => `$${Number(usd).toFixed(4).replace(/\.?0+$/, '')}`;

export function usdAlert(c: Crossing): AlertInput {
  const pct = Math.floor((Number(c.spentUsd) / c.limitUsd) * 100);
  return {
    type: 'usd_threshold',
    severity: 'warning',
    message: `${LEVEL_LABEL[c.subject.level]} "${c.subject.name}" reached ${pct}% of its ${WINDOW_LABEL[c.window]} USD limit: ${money(c.spentUsd)} of ${money(c.limitUsd)}`,
    data: {
      level: c.subject.level,
      subjectId: c.subject.id,
      subject: c.subject.name,
      window: c.window,
      windowId: c.windowId,
      windowStart: c.window === 'usdTotal' ? null : new Date(c.windowStart).toISOString(),
      windowEnd: c.windowEnd === undefined ? null : new Date(c.windowEnd).toISOString(),
      limitUsd: c.limitUsd,
      spentUsd: c.spentUsd,
      share: c.share,
    },
  };
}

export type { Alert, AlertType, Severity } from './deliver.ts';
