import type { Logger, SettledExchange, Usage } from '@cch/core';
import type { CostState } from './row.ts';
import type { CostResult, ModelPrice, Pricing } from '@cch/core';

/**
 * Service `pricing`: model prices and exchange costs for other plugins (the limit plugins).
 * `price` and `cost` are the stable contract; the rest is extra.
 */
export interface PricingService {
  /** Per-token USD prices of a model (plus cache and tier prices), or undefined when unknown. */
  price(model: string): ModelPrice | undefined;
  /** Cost in decimal USD (at most 10 fractional digits); '0' for an unknown model. */
  cost(model: string, usage: Usage, multiplier: number): string;
  /** Like `cost`, also telling whether the model was priced and under which name. */
  costDetail(model: string, usage: Usage, multiplier: number): CostResult;
}

export function createPricingService(pricing: Pricing): PricingService {
  return {
    price: (model) => pricing.price(model),
    cost: (model, usage, multiplier) => pricing.cost(model, usage, multiplier).usd,
    costDetail: (model, usage, multiplier) => pricing.cost(model, usage, multiplier),
  };
}

function hasTokens(u: Usage | undefined): u is Usage {
  return !!u && u.inputTokens + u.outputTokens + u.cacheCreationTokens + u.cacheReadTokens > 0;
}

const WARNED_LIMIT = 1000;

/**
 * The settle step that prices an exchange: the served model (else the requested one) × the
 * provider's cost multiplier, onto `exchange.state.costUsd`. An unknown model costs '0', is
 * marked `costUnpriced` (the row's decision gets `unpriced: true`) and is warned about once.
 */
export function createCostStep(pricing: Pricing, logger: Logger): (ex: SettledExchange) => void {
  const warned = new Set<string>();
  return (ex) => {
    const state = ex.state as CostState;
    // A provider plugin that knows the billed amount may have set it already.
    if (typeof state.costUsd === 'string') return;
    const usage = ex.usage;
    if (!hasTokens(usage)) {
      state.costUsd = '0';
      return;
    }
    const model = ex.servedModel ?? ex.model;
    const result = pricing.cost(model, usage, ex.provider?.costMultiplier ?? 1);
    state.costUsd = result.usd;
    if (result.priced) return;
    state.costUnpriced = true;
    const key = model ?? '(none)';
    if (!warned.has(key) && warned.size < WARNED_LIMIT) {
      warned.add(key);
      logger.warn({ model: key, provider: ex.provider?.name }, 'no price known for this model: its requests are logged at $0 and marked unpriced (add it under the accounting plugin option `prices`)');
    }
  };
}
