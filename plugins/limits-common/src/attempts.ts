import type { Exchange, ProviderRecord, SetupContext } from '@cch/core';

const WATCHED = Symbol('limits.watchedAttempts');

type Watched = Exchange & { [WATCHED]?: Set<string> };

/**
 * Tell `onAttempt` about each provider the proxy is about to try, as it is chosen. Limits
 * run before routing, so this is the only moment a provider's counters can include a request
 * while it is in flight. It wraps the route plan in the `proxy` phase; without a route plan
 * (no balancer) nothing is reported here, and {@link unwatchedAttempts} lists the attempts
 * at settle time instead.
 */
export function watchAttempts(ctx: Pick<SetupContext<unknown>, 'use' | 'name'>, onAttempt: (ex: Exchange, provider: ProviderRecord) => void): void {
  const plugin = ctx.name;
  ctx.use(
    'proxy',
    async (c, next) => {
      const ex = c.exchange as Watched;
      const plan = ex.plan;
      if (plan) {
        (ex[WATCHED] ??= new Set()).add(plugin);
        const next0 = plan.next.bind(plan);
        plan.next = (failed) => {
          const cand = next0(failed);
          if (cand) onAttempt(ex, cand.provider);
          return cand;
        };
      }
      await next();
    },
    { order: 'pre' },
  );
}

/** Provider ids the proxy tried that {@link watchAttempts} did not see (no route plan). */
export function unwatchedAttempts(ex: Exchange, plugin: string): number[] {
  if ((ex as Watched)[WATCHED]?.has(plugin)) return [];
  return ex.attempts.map((a) => a.providerId);
}
