import { Type } from '@sinclair/typebox';
import { definePlugin } from '@cch/core';
import { createBalancer } from './route.ts';

const options = Type.Object(
  {
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10, default: 3, description: 'Providers tried per request, the first included; failover happens only before the first byte and only on retryable errors.' }),
    stickyReturnToHigherPriority: Type.Boolean({
      default: true,
      description: 'Move a sticky session back to a higher-priority provider once it is available again (false: a session stays where it is while its provider works).',
    }),
    sessionTtlSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 86_400 * 30, description: 'How long a session stays bound to its provider after its last request (sliding). Default: the SESSION_TTL environment variable (300).' }),
    ),
  },
  { additionalProperties: false },
);

/**
 * Chooses the provider for each request: candidates filtered by state, groups, model, format
 * and health; priority tiers, then weighted random; sticky sessions; failover on retryable
 * errors honouring Retry-After. Sets `exchange.plan` and explains itself in `exchange.decision`.
 */
export default definePlugin({
  name: 'balancer',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'routing',
  description: 'Priority + weighted provider choice with sticky sessions, failover, Retry-After cool-down and a decision chain.',
  options,
  setup(ctx) {
    const balancer = createBalancer({
      options: { ...ctx.options, sessionTtlSeconds: ctx.options.sessionTtlSeconds ?? ctx.env.sessionTtlSeconds },
      providers: ctx.providers,
      store: ctx.store,
      logger: ctx.logger,
      breaker: () => ctx.tryInject('breaker'),
      limits: () => ctx.tryInject('providerLimits'),
    });
    ctx.use('authenticate', balancer.identify, { order: 'post' });
    ctx.use('route', balancer.route);
    ctx.onSettle((ex) => balancer.settle(ex));
  },
});

export { createBalancer, type BalancerDeps, type BalancerOptions } from './route.ts';
export { staticCandidates, type Exclusion, type ExclusionReason, type RouteCandidate } from './candidates.ts';
export { chooseFirst, pick, seededRng, tierOf, type Pick, type Pickable, type Rng } from './picker.ts';
export { deriveSession, type SessionInfo, type SessionSource } from '@cch/core';
export type { ProviderLimitsService } from './health.ts';
