import fs from 'node:fs';
import path from 'node:path';
import { CORE_ROOT } from '../paths.ts';
import { decimalFromNumber } from './decimal.ts';

/**
 * One entry of a price table in the shape of LiteLLM's `model_prices_and_context_window.json`
 * (USD per token). Fields we do not use are allowed and ignored.
 */
export interface PriceTableEntry {
  litellm_provider?: string;
  mode?: string;
  max_input_tokens?: number;
  max_output_tokens?: number;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
  /** Cache write with the default (5 minute) TTL. */
  cache_creation_input_token_cost?: number;
  /** Cache write with a 1 hour TTL (Anthropic). */
  cache_creation_input_token_cost_above_1hr?: number;
  cache_read_input_token_cost?: number;
  input_cost_per_token_above_200k_tokens?: number;
  output_cost_per_token_above_200k_tokens?: number;
  cache_creation_input_token_cost_above_200k_tokens?: number;
  /** Not in LiteLLM's file; ours, for 1 h cache writes of long-context requests. */
  cache_creation_input_token_cost_above_1hr_above_200k_tokens?: number;
  cache_read_input_token_cost_above_200k_tokens?: number;
  [field: string]: unknown;
}

export type PriceTable = Record<string, PriceTableEntry>;

/** Per-token prices in pico-dollars (1e-12 USD), exact. */
export interface Rates {
  input: bigint;
  output: bigint;
  cacheWrite5m: bigint;
  cacheWrite1h: bigint;
  cacheRead: bigint;
}

/** A table entry turned into exact rates, with the fallbacks applied. */
export interface ResolvedRates {
  base: Rates;
  /** Rates for the whole request when its prompt exceeds {@link TIER_THRESHOLD_TOKENS}. */
  above200k?: Rates;
  provider: string | undefined;
  maxInputTokens: number | undefined;
}

/** Price per token is kept in units of 1e-12 USD: enough for $0.001 per million tokens. */
export const PICO_SCALE = 12;

/** Prompt size (input + cache read + cache write) above which tiered prices apply to the whole request. */
export const TIER_THRESHOLD_TOKENS = 200_000;

let builtin: PriceTable | undefined;

/** The price table shipped in `core/data/model-prices.json` (read once). */
export function builtinPriceTable(): PriceTable {
  builtin ??= JSON.parse(fs.readFileSync(path.join(CORE_ROOT, 'data', 'model-prices.json'), 'utf8')) as PriceTable;
  return builtin;
}

function pico(n: unknown): bigint | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? decimalFromNumber(n, PICO_SCALE) : undefined;
}

/** Anthropic's published cache multipliers apply when the table gives no explicit cache price. */
export function isAnthropic(model: string, provider: string | undefined): boolean {
  return provider === 'anthropic' || /(^|[/.])claude-/.test(model);
}

/**
 * Fill in missing cache prices: Anthropic bills a 5 m cache write at 1.25× input, a 1 h write at
 * 2× and a cache read at 0.1×; for other providers a missing price falls back to `fallback`
 * (the input price, or the untiered price for a tier).
 */
export function completeRates(
  partial: { input: bigint; output: bigint; cacheWrite5m?: bigint; cacheWrite1h?: bigint; cacheRead?: bigint },
  anthropic: boolean,
  fallback?: Rates,
): Rates {
  const { input, output } = partial;
  const cacheWrite5m = partial.cacheWrite5m ?? (anthropic ? (input * 5n) / 4n : (fallback?.cacheWrite5m ?? input));
  return {
    input,
    output,
    cacheWrite5m,
    cacheWrite1h: partial.cacheWrite1h ?? (anthropic ? input * 2n : (fallback?.cacheWrite1h ?? cacheWrite5m)),
    cacheRead: partial.cacheRead ?? (anthropic ? input / 10n : (fallback?.cacheRead ?? input)),
  };
}

/** Exact rates of one table entry; undefined when it has no input or output price. */
export function ratesFromEntry(model: string, e: PriceTableEntry): ResolvedRates | undefined {
  const input = pico(e.input_cost_per_token);
  const output = pico(e.output_cost_per_token);
  if (input === undefined || output === undefined) return undefined;
  const provider = typeof e.litellm_provider === 'string' ? e.litellm_provider : undefined;
  const anthropic = isAnthropic(model, provider);
  const base = completeRates(
    {
      input,
      output,
      cacheWrite5m: pico(e.cache_creation_input_token_cost),
      cacheWrite1h: pico(e.cache_creation_input_token_cost_above_1hr),
      cacheRead: pico(e.cache_read_input_token_cost),
    },
    anthropic,
  );
  const tierInput = pico(e.input_cost_per_token_above_200k_tokens);
  const above200k =
    tierInput === undefined
      ? undefined
      : completeRates(
          {
            input: tierInput,
            output: pico(e.output_cost_per_token_above_200k_tokens) ?? output,
            cacheWrite5m: pico(e.cache_creation_input_token_cost_above_200k_tokens),
            cacheWrite1h: pico(e.cache_creation_input_token_cost_above_1hr_above_200k_tokens),
            cacheRead: pico(e.cache_read_input_token_cost_above_200k_tokens),
          },
          anthropic,
          base,
        );
  return {
    base,
    above200k,
    provider,
    maxInputTokens: typeof e.max_input_tokens === 'number' ? e.max_input_tokens : undefined,
  };
}
