import { Type } from '@sinclair/typebox';
import { definePlugin } from '@cch/core';
import { createBreaker } from './breaker.ts';
import { settledOutcome } from './outcome.ts';
import type { BreakerService } from './types.ts';

declare module '@cch/core' {
  interface Services {
    breaker: BreakerService;
  }
}

const options = Type.Object(
  {
    failureThreshold: Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Consecutive provider failures that open the circuit.' }),
    openSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 60, description: 'How long an open circuit keeps all traffic away before letting probes through.' }),
    halfOpenSuccesses: Type.Integer({ minimum: 1, maximum: 100, default: 2, description: 'Successful probes (half-open) that close the circuit again; one failed probe reopens it.' }),
    halfOpenMaxProbes: Type.Integer({ minimum: 1, maximum: 100, default: 1, description: 'Probe requests a half-open circuit lets through at once, across all instances.' }),
  },
  { additionalProperties: false },
);

/**
 * Per-provider circuit breaker. Counts every upstream attempt once (at settle, or earlier when
 * a route plan reports a failure), keeps the state in the shared store, and offers the
 * `breaker` service the balancer consults before choosing a provider.
 */
export default definePlugin({
  name: 'circuit-breaker',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'resilience',
  description: 'Stops sending traffic to a failing provider (closed → open → half-open probes), state shared across instances.',
  options,
  setup(ctx) {
    const breaker = createBreaker({ store: ctx.store, options: ctx.options, logger: ctx.logger, providers: () => ctx.providers.list() });
    ctx.provide('breaker', breaker);
    ctx.reportHealth(async () => {
      const s = await breaker.snapshot();
      return { degraded: s.storage === 'local', storage: s.storage, ...(s.storageDegradedSince ? { since: new Date(s.storageDegradedSince).toISOString() } : {}) };
    });
    ctx.onClose(() => breaker.close());

    ctx.onSettle(async (ex) => {
      const last = ex.attempts.length - 1;
      try {
        await Promise.all(ex.attempts.map((a, i) => breaker.countAttempt(a, settledOutcome(ex, a, i === last), ex.id)));
        await breaker.release(ex.id);
      } catch (err) {
        ctx.logger.error({ err, requestId: ex.id }, 'circuit-breaker: recording the outcome failed');
      }
    });

    ctx.router.get('/', async (c) => {
      c.body = await breaker.snapshot();
    });
    ctx.router.post('/providers/:id/reset', async (c) => {
      const id = providerId(c.params.id);
      if (id === undefined) return notFound(c, c.params.id);
      await breaker.reset(id);
      c.body = await breaker.state(id);
    });
    ctx.router.post('/providers/:id/open', async (c) => {
      const id = providerId(c.params.id);
      if (id === undefined) return notFound(c, c.params.id);
      const seconds = Number((c.request as { body?: { seconds?: unknown } }).body?.seconds);
      await breaker.forceOpen(id, Number.isFinite(seconds) && seconds > 0 ? seconds : undefined);
      c.body = await breaker.state(id);
    });

    function providerId(raw: string | undefined): number | undefined {
      const id = Number(raw);
      return Number.isInteger(id) && ctx.providers.get(id) ? id : undefined;
    }
  },
});

function notFound(c: { status: number; body: unknown }, raw: string | undefined): void {
  c.status = 404;
  c.body = { error: { message: `no provider with id ${raw}` } };
}

export { createBreaker, toState, type Breaker, type CreateBreakerInput } from './breaker.ts';
export { attemptOutcome, settledOutcome } from './outcome.ts';
export { SCRIPTS } from './scripts.ts';
export type { AttemptOutcome, BreakerEvent, BreakerOptions, BreakerService, BreakerSnapshot, BreakerState, BreakerTransition, CircuitState } from './types.ts';
