/**
 * Model prices and the cost of one exchange, in exact decimal arithmetic.
 *
 * Prices come from `core/data/model-prices.json` (LiteLLM's shape, USD per token) and optional
 * overrides in USD per million tokens. Cost is
 *   input × in + output × out + cacheWrite5m × cw5m + cacheWrite1h × cw1h + cacheRead × cr
 * where `input` excludes cached tokens (every provider adapter reports it that way), reasoning
 * tokens are already part of `output`, and — when the table gives tiered prices — the whole
 * request uses the `above_200k` rates once its prompt (input + cache read + cache write) exceeds
 * 200 000 tokens. The sum is multiplied by the provider's cost multiplier and rounded to 10
 * fractional digits (`numeric(20,10)`).
 */
import type { Usage } from '../usage.ts';
import { decimalFromNumber, divRound, formatDecimal, USD_SCALE } from './decimal.ts';
import {
  builtinPriceTable,
  completeRates,
  isAnthropic,
  PICO_SCALE,
  ratesFromEntry,
  TIER_THRESHOLD_TOKENS,
  type PriceTable,
  type Rates,
  type ResolvedRates,
} from './table.ts';

export { addUsd, usdToUnits, unitsToUsd, parseDecimal, formatDecimal, USD_SCALE } from './decimal.ts';
export { builtinPriceTable, TIER_THRESHOLD_TOKENS, type PriceTable, type PriceTableEntry } from './table.ts';

/** A price set from configuration, in USD per **million** tokens. */
export interface PriceOverride {
  input: number;
  output: number;
  /** Cache write, 5 minute TTL (default: 1.25× input for Claude models, else input). */
  cacheWrite?: number;
  /** Cache write, 1 hour TTL (default: 2× input for Claude models, else `cacheWrite`). */
  cacheWrite1h?: number;
  /** Cache read (default: 0.1× input for Claude models, else input). */
  cacheRead?: number;
}

/** Per-token prices in USD (floats, for display and estimates; costs are computed exactly). */
export interface TokenPrices {
  inputPerToken: number;
  outputPerToken: number;
  cacheWrite5mPerToken: number;
  cacheWrite1hPerToken: number;
  cacheReadPerToken: number;
}

/** What {@link Pricing.price} tells about a model. */
export interface ModelPrice extends TokenPrices {
  /** The table or override key that matched (e.g. `claude-sonnet-4-5` for `claude-sonnet-4-5-20250929`). */
  model: string;
  source: 'table' | 'override';
  provider: string | undefined;
  maxInputTokens: number | undefined;
  /** Prices for the whole request when its prompt exceeds 200k tokens, when the model has them. */
  above200k: TokenPrices | undefined;
}

export interface CostResult {
  /** Decimal USD, at most 10 fractional digits; '0' when unpriced. */
  usd: string;
  /** False when no price is known for the model (the cost is then '0'). */
  priced: boolean;
  /** The price key used, when priced. */
  pricedAs?: string;
}

export interface Pricing {
  price(model: string): ModelPrice | undefined;
  cost(model: string | undefined, usage: Usage | undefined, multiplier?: number): CostResult;
}

export interface PricingOptions {
  /** Replace the built-in table (tests, or a site that ships its own). */
  table?: PriceTable;
}

interface Entry {
  key: string;
  source: 'table' | 'override';
  rates: ResolvedRates;
}

const CACHE_LIMIT = 10_000;
/** Multipliers are kept to 9 fractional digits. */
const MULT_SCALE = 9;

/**
 * Build a price lookup. Lookup order for a model name: overrides, then the table; in each, the
 * exact name, then variants without a date or version suffix, then without a provider prefix
 * (`anthropic/…`, `models/…`, Bedrock's `us.anthropic.…`). Case-insensitive.
 */
export function createPricing(overrides: Record<string, PriceOverride> = {}, opts: PricingOptions = {}): Pricing {
  const table = lowerKeys(opts.table ?? builtinPriceTable());
  const over = new Map<string, Entry>();
  for (const [key, o] of Object.entries(overrides)) {
    over.set(key.toLowerCase(), { key, source: 'override', rates: ratesFromOverride(key, o) });
  }
  const tableEntries = new Map<string, Entry | null>();
  const resolved = new Map<string, Entry | null>();

  const fromTable = (name: string): Entry | undefined => {
    let e = tableEntries.get(name);
    if (e === undefined) {
      const raw = table.get(name);
      const rates = raw ? ratesFromEntry(raw.key, raw.entry) : undefined;
      e = rates ? { key: raw!.key, source: 'table', rates } : null;
      tableEntries.set(name, e);
    }
    return e ?? undefined;
  };

  function lookup(model: string): Entry | undefined {
    let e = resolved.get(model);
    if (e !== undefined) return e ?? undefined;
    const names = candidateNames(model);
    e = null;
    for (const n of names) {
      const o = over.get(n);
      if (o) {
        e = o;
        break;
      }
    }
    if (!e) {
      for (const n of names) {
        const t = fromTable(n);
        if (t) {
          e = t;
          break;
        }
      }
    }
    if (resolved.size >= CACHE_LIMIT) resolved.clear();
    resolved.set(model, e);
    return e ?? undefined;
  }

  // The USD-per-token view of an entry, built once: the cost limit asks it for every request, and
  // each figure is a BigInt formatted and parsed back.
  const views = new WeakMap<object, ModelPrice>();
  return {
    price(model) {
      const e = lookup(model);
      if (!e) return undefined;
      let view = views.get(e);
      if (!view) {
        view = Object.freeze({
          model: e.key,
          source: e.source,
          provider: e.rates.provider,
          maxInputTokens: e.rates.maxInputTokens,
          ...toTokenPrices(e.rates.base),
          above200k: e.rates.above200k ? Object.freeze(toTokenPrices(e.rates.above200k)) : undefined,
        });
        views.set(e, view);
      }
      return view;
    },
    cost(model, usage, multiplier = 1) {
      const e = model ? lookup(model) : undefined;
      if (!e) return { usd: '0', priced: false };
      if (!usage) return { usd: '0', priced: true, pricedAs: e.key };
      return { usd: formatDecimal(costUnits(e.rates, usage, multiplier), USD_SCALE), priced: true, pricedAs: e.key };
    },
  };
}

/** Cost in 1e-10 USD. */
function costUnits(r: ResolvedRates, u: Usage, multiplier: number): bigint {
  const n = (v: number | undefined) => BigInt(Number.isFinite(v) && v! > 0 ? Math.floor(v!) : 0);
  const input = n(u.inputTokens);
  const output = n(u.outputTokens);
  const cacheRead = n(u.cacheReadTokens);
  const write1h = n(u.cacheCreation1hTokens);
  const writeAll = n(u.cacheCreationTokens);
  // Writes not reported as 1 h writes are 5 m writes (the default TTL), whether split or not.
  const rest = writeAll - write1h;
  const split5m = n(u.cacheCreation5mTokens);
  const write5m = split5m > rest ? split5m : rest > 0n ? rest : 0n;
  const prompt = input + cacheRead + write5m + write1h;
  const rates: Rates = r.above200k && prompt > BigInt(TIER_THRESHOLD_TOKENS) ? r.above200k : r.base;
  const pico = input * rates.input + output * rates.output + write5m * rates.cacheWrite5m + write1h * rates.cacheWrite1h + cacheRead * rates.cacheRead;
  const mult = multiplierUnits(multiplier);
  // pico (1e-12) × mult (1e-9) → 1e-21; the result is in 1e-10.
  return divRound(pico * mult, 10n ** BigInt(PICO_SCALE + MULT_SCALE - USD_SCALE));
}

function multiplierUnits(m: number): bigint {
  if (!Number.isFinite(m)) return 10n ** BigInt(MULT_SCALE);
  if (m <= 0) return 0n;
  return decimalFromNumber(m, MULT_SCALE);
}

function ratesFromOverride(model: string, o: PriceOverride): ResolvedRates {
  // USD per million → pico-dollars per token is a shift by 6 digits.
  const perM = (v: number | undefined) => (v === undefined ? undefined : decimalFromNumber(v, PICO_SCALE - 6));
  const base = completeRates(
    { input: perM(o.input)!, output: perM(o.output)!, cacheWrite5m: perM(o.cacheWrite), cacheWrite1h: perM(o.cacheWrite1h), cacheRead: perM(o.cacheRead) },
    isAnthropic(model.toLowerCase(), undefined),
  );
  return { base, above200k: undefined, provider: undefined, maxInputTokens: undefined };
}

function toTokenPrices(r: Rates): TokenPrices {
  const usd = (p: bigint) => Number(formatDecimal(p, PICO_SCALE));
  return {
    inputPerToken: usd(r.input),
    outputPerToken: usd(r.output),
    cacheWrite5mPerToken: usd(r.cacheWrite5m),
    cacheWrite1hPerToken: usd(r.cacheWrite1h),
    cacheReadPerToken: usd(r.cacheRead),
  };
}

function lowerKeys(table: PriceTable): Map<string, { key: string; entry: PriceTable[string] }> {
  const m = new Map<string, { key: string; entry: PriceTable[string] }>();
  for (const [key, entry] of Object.entries(table)) {
    if (entry && typeof entry === 'object' && !Array.isArray(entry)) m.set(key.toLowerCase(), { key, entry });
  }
  return m;
}

const SUFFIXES: RegExp[] = [
  /-v\d+(?::\d+)?$/, // Bedrock: -v1:0
  /[-@]\d{8}$/, // -20250929, Vertex @20250929
  /-\d{4}-\d{2}-\d{2}$/, // OpenAI -2025-04-14
  /-\d{2}-(?:\d{4}|\d{2})$/, // Gemini previews -06-05, -09-2025
  /-latest$/,
  /-(?:preview|exp)$/,
];

/** Names to try for a model, most specific first. */
export function candidateNames(model: string): string[] {
  const out: string[] = [];
  const add = (n: string) => {
    if (n && !out.includes(n)) out.push(n);
  };
  const stripSuffixes = (n: string) => {
    add(n);
    let cur = n;
    for (let changed = true; changed; ) {
      changed = false;
      for (const re of SUFFIXES) {
        const next = cur.replace(re, '');
        if (next !== cur && next) {
          cur = next;
          add(cur);
          changed = true;
        }
      }
    }
  };
  const lower = model.trim().toLowerCase();
  stripSuffixes(lower);
  const unprefixed = lower.slice(lower.lastIndexOf('/') + 1).replace(/^(?:[a-z]{2,6}\.)?anthropic\./, '');
  if (unprefixed !== lower) stripSuffixes(unprefixed);
  return out;
}
