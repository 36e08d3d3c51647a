import type { Exchange, ProviderRecord, SetupContext } from '@cch/core';

/**
 * Tell `onAttempt` about each provider the proxy tries. Limits run before routing, so this is
 * how a provider's counters learn about a request. With a route plan (the balancer) the plan is
 * wrapped in the `proxy` phase and each provider is reported as it is picked, before the
 * upstream call. Without one (the core's default plan is not visible to plugins) the attempts
 * are reported once the proxy returns — for a stream, when its response has begun.
 */
export function watchAttempts(ctx: Pick<SetupContext<unknown>, 'use' | 'providers'>, onAttempt: (ex: Exchange, provider: ProviderRecord) => void): void {
  ctx.use(
    'proxy',
    async (c, next) => {
      const ex = c.exchange;
      const plan = ex.plan;
      if (plan) {
        const pick = plan.next.bind(plan);
        plan.next = (failed) => {
          const cand = pick(failed);
          if (cand) onAttempt(ex, cand.provider);
          return cand;
        };
        return next();
      }
      try {
        await next();
      } finally {
        for (const a of ex.attempts) {
          const p = ctx.providers.get(a.providerId);
          if (p) onAttempt(ex, p);
        }
      }
    },
    { order: 'pre' },
  );
}
