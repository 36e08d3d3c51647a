import type { Exchange, ProviderRecord, SetupContext } from '@cch/core';

/**
 * Tell `onAttempt` about each provider the proxy tries. Limits run before routing, so this is
 * how a provider's counters learn about a request. With a route plan (the balancer) the plan is
 * wrapped in the `proxy` phase and each provider is reported as it is picked, before the
 * upstream call — the plan's first candidate right away, while the admission checks are still
 * in flight, so its counters travel to the store in the same script call as the checks (one
 * round trip less per request). Such an early report may be for a provider the request never
 * reaches (the limits refuse it, the client leaves): {@link untried} tells which at settle time.
 * Without a plan (the core's default plan is not visible to plugins) the attempts are reported
 * once the proxy returns — for a stream, when its response has begun.
 */
export function watchAttempts(ctx: Pick<SetupContext<unknown>, 'use' | 'providers'>, onAttempt: (ex: Exchange, provider: ProviderRecord) => void): void {
  ctx.use(
    'proxy',
    async (c, next) => {
      const ex = c.exchange;
      const plan = ex.plan;
      if (plan) {
        const early = plan.first?.provider;
        if (early) onAttempt(ex, early);
        const pick = plan.next.bind(plan);
        let calls = 0;
        plan.next = (failed) => {
          const cand = pick(failed);
          // The first pick is the early report's provider: counted already.
          if (cand && !(calls++ === 0 && early && cand.provider.id === early.id)) onAttempt(ex, cand.provider);
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

/** Of the providers reported for an exchange, those it never sent an attempt to. */
export function untried(ex: Exchange, reported: Iterable<number>): number[] {
  const out: number[] = [];
  for (const id of reported) if (!ex.attempts.some((a) => a.providerId === id)) out.push(id);
  return out;
}
