import got, { type RequestError } from 'got';
import type { Logger } from '@cch/core';

export type AlertType = 'usd_threshold' | 'circuit_opened' | 'log_spool' | 'custom';
export type Severity = 'info' | 'warning' | 'critical';

/** One alert, as kept by `alerts.recent()`. */
export interface Alert {
  id: string;
  type: AlertType;
  severity: Severity;
  /** ISO time it was raised. */
  at: string;
  /** One human sentence. */
  message: string;
  /** Type-specific details (see README). */
  data: Record<string, unknown>;
  delivery: {
    status: 'pending' | 'delivered' | 'failed' | 'disabled';
    /** HTTP attempts made so far. */
    attempts: number;
    error?: string;
    deliveredAt?: string;
  };
}

export interface WebhookOptions {
  /** From the YAML only: never from a request, so the hub cannot be pointed at internal hosts. */
  url: string | undefined;
  format: 'json' | 'slack';
  headers: Record<string, string>;
  /** Retries after the first attempt. */
  retries: number;
  /** Backoff before retry n is `retryBaseMs × 2^(n−1)` (capped at 60 s), or the receiver's Retry-After. */
  retryBaseMs: number;
  timeoutMs: number;
}

const ICON: Record<Severity, string> = { info: ':information_source:', warning: ':warning:', critical: ':rotating_light:' };

/** The webhook body: our JSON, or a Slack incoming-webhook message. */
export function webhookBody(alert: Alert, format: WebhookOptions['format']): Record<string, unknown> {
  if (format === 'slack') {
    const fields = Object.entries(alert.data)
      .filter(([, v]) => v !== undefined && v !== null && typeof v !== 'object')
      .map(([k, v]) => `*${k}*: ${String(v)}`);
    return {
      text: `${ICON[alert.severity]} ${alert.message}`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `${ICON[alert.severity]} *${alert.message}*` } },
        ...(fields.length ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: fields.join('  ·  ') }] }] : []),
      ],
    };
  }
  const { delivery: _delivery, ...rest } = alert;
  return { source: 'claude-code-hub', ...rest };
}

/** Where a webhook goes, without path or query (Slack puts its secret in the path). */
export function redactUrl(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid url)';
  }
}

export interface Delivery {
  /** Post the alert (retrying), updating `alert.delivery`; never throws. */
  send(alert: Alert): Promise<void>;
  /** Resolves when every delivery started so far has finished. */
  idle(): Promise<void>;
}

const RETRY_STATUS = [408, 425, 429, 500, 502, 503, 504, 521, 522, 524];

export function createDelivery(opts: WebhookOptions, logger: Logger): Delivery {
  const pending = new Set<Promise<void>>();
  const target = opts.url ? redactUrl(opts.url) : undefined;

  async function post(alert: Alert): Promise<void> {
    if (!opts.url) {
      alert.delivery.status = 'disabled';
      return;
    }
    try {
      await got.post(opts.url, {
        json: webhookBody(alert, opts.format),
        headers: { 'user-agent': 'claude-code-hub-alerts', ...opts.headers },
        timeout: { request: opts.timeoutMs },
        followRedirect: false,
        retry: {
          limit: opts.retries,
          methods: ['POST'],
          statusCodes: RETRY_STATUS,
          calculateDelay: ({ attemptCount, computedValue, retryAfter }) => {
            if (computedValue === 0) return 0; // got decided not to retry
            return Math.min(retryAfter ?? opts.retryBaseMs * 2 ** (attemptCount - 1), 60_000);
          },
        },
        hooks: {
          beforeRequest: [
            () => {
              alert.delivery.attempts++;
            },
          ],
        },
      });
      alert.delivery.status = 'delivered';
      alert.delivery.deliveredAt = new Date().toISOString();
      delete alert.delivery.error;
    } catch (err) {
      const e = err as RequestError;
      alert.delivery.status = 'failed';
      alert.delivery.error = e.response ? `HTTP ${e.response.statusCode}` : (e.code ?? e.message);
      logger.warn({ alert: alert.type, id: alert.id, target, attempts: alert.delivery.attempts, error: alert.delivery.error }, 'alert webhook delivery failed');
    }
  }

  return {
    send(alert) {
      const p = post(alert).finally(() => pending.delete(p));
      pending.add(p);
      return p;
    },
    async idle() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}
