/**
 * The pricing module lives in the core (`core/src/pricing`) so the limit plugins and the admin
 * API price tokens the same way. Until `@cch/core` re-exports it, this is the one place that
 * reaches into the core's source; switch the path to '@cch/core' then.
 */
export {
  createPricing,
  addUsd,
  usdToUnits,
  unitsToUsd,
  type Pricing,
  type PriceOverride,
  type ModelPrice,
  type CostResult,
  type TokenPrices,
} from '../../../core/src/pricing/index.ts';
