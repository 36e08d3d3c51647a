import type { Exchange, SetupContext, Usage } from '@cch/core';
import { toMicros } from '../../limits-common/src/index.ts';

/**
 * What this plugin needs of the `pricing` service (provided by the accounting plugin): per-token
 * USD prices, and the cost of a usage as a decimal string.
 */
export interface PricingLike {
  price(model: string): { inputPerToken: number; outputPerToken: number } | undefined;
  cost(model: string, usage: Usage, multiplier: number): string;
}

/** Looks the pricing service up at each use: it may be provided by a plugin set up later. */
export function pricingLookup(ctx: Pick<SetupContext<unknown>, 'tryInject'>): () => PricingLike | undefined {
  return () => ctx.tryInject('pricing');
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const positive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/** The output cap a request sets, in any wire format. */
export function outputCap(body: Json | undefined): number | undefined {
  if (!body) return undefined;
  const gen = (b: Json | undefined) => (isObject(b?.generationConfig) ? b.generationConfig : undefined);
  const inner = isObject(body.request) ? body.request : undefined;
  return (
    positive(body.max_tokens) ??
    positive(body.max_completion_tokens) ??
    positive(body.max_output_tokens) ??
    positive(gen(body)?.maxOutputTokens) ??
    positive(gen(inner)?.maxOutputTokens)
  );
}

export interface EstimateOptions {
  maxReserveUsd: number;
  defaultReserveUsd: number;
  assumedOutputTokens: number;
}

/**
 * What to hold for a request before it runs, in µ$: input ≈ body bytes / 4 tokens at the input
 * price plus the output cap at the output price, at most `maxReserveUsd`; `defaultReserveUsd`
 * when the model has no price.
 */
export function estimateMicros(ex: Pick<Exchange, 'raw' | 'body' | 'model'>, pricing: PricingLike | undefined, o: EstimateOptions): number {
  const price = ex.model ? pricing?.price(ex.model) : undefined;
  if (!price) return toMicros(Math.min(o.defaultReserveUsd, o.maxReserveUsd));
  const inputTokens = Math.ceil(ex.raw.length / 4);
  const outputTokens = outputCap(ex.body) ?? o.assumedOutputTokens;
  const usd = inputTokens * price.inputPerToken + outputTokens * price.outputPerToken;
  return toMicros(Math.min(usd, o.maxReserveUsd));
}

/** The real cost of a finished exchange, in µ$, and whether it could be priced. */
export function settledMicros(ex: Exchange, pricing: PricingLike | undefined): { micros: number; priced: boolean } {
  const known = ex.state.costUsd;
  if (typeof known === 'string' || typeof known === 'number') return { micros: toMicros(known), priced: true };
  const u = ex.usage;
  if (!u || u.inputTokens + u.outputTokens + u.cacheCreationTokens + u.cacheReadTokens + u.reasoningTokens === 0) return { micros: 0, priced: true };
  const model = ex.servedModel ?? ex.model;
  if (!model || !pricing?.price(model)) return { micros: 0, priced: false };
  return { micros: toMicros(pricing.cost(model, u, ex.provider?.costMultiplier ?? 1)), priced: true };
}
