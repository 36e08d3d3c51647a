/** A random source in [0, 1); the plugin uses Math.random, tests a seeded one. */
export type Rng = () => number;

/** What the picker needs to know about a candidate. */
export interface Pickable {
  provider: { id: number; name: string; priority: number; weight: number };
  /** Served through translation (the provider speaks another wire format than the client). */
  translated: boolean;
}

export interface Pick<T extends Pickable> {
  chosen: T;
  /** Chance each provider of the chosen tier had, by provider name. */
  probabilities: Record<string, number>;
  /** Weight-0 providers only: nothing else was available. */
  standby: boolean;
}

/**
 * Order of preference, compared left to right: weighted providers before weight-0 (standby)
 * ones, lower priority number first, same-format before translated.
 */
export function tierOf(c: Pickable): [number, number, number] {
  return [c.provider.weight > 0 ? 0 : 1, c.provider.priority, c.translated ? 1 : 0];
}

export function compareTiers(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The candidates sharing the best tier. */
export function bestTier<T extends Pickable>(cands: readonly T[]): T[] {
  let best: T[] = [];
  let key: number[] | undefined;
  for (const c of cands) {
    const k = tierOf(c);
    const cmp = key ? compareTiers(k, key) : -1;
    if (cmp < 0) {
      best = [c];
      key = k;
    } else if (cmp === 0) best.push(c);
  }
  return best;
}

/**
 * Choose among candidates: the best tier, then weighted random by `weight` within it (uniform
 * among standby providers, whose weight is 0).
 */
export function pick<T extends Pickable>(cands: readonly T[], rng: Rng): Pick<T> | undefined {
  const tier = bestTier(cands);
  if (tier.length === 0) return undefined;
  const standby = tier[0]!.provider.weight === 0;
  const weights = tier.map((c) => (standby ? 1 : c.provider.weight));
  const total = weights.reduce((a, b) => a + b, 0);
  const probabilities: Record<string, number> = {};
  tier.forEach((c, i) => (probabilities[c.provider.name] = round(weights[i]! / total)));
  let x = rng() * total;
  for (let i = 0; i < tier.length; i++) {
    x -= weights[i]!;
    if (x < 0) return { chosen: tier[i]!, probabilities, standby };
  }
  return { chosen: tier[tier.length - 1]!, probabilities, standby };
}

/** How the first provider of a request was chosen. */
export interface FirstChoice<T extends Pickable> {
  chosen: T;
  how: 'session' | 'weighted' | 'standby';
  probabilities?: Record<string, number>;
  /** Why a session did not stay with its provider. */
  reason?: 'returned_to_higher_priority' | 'bound_provider_unavailable';
}

/**
 * The first provider for a request: the session's provider while it is available — unless
 * `returnToHigher` and a provider of a better tier (higher priority, or weighted over standby) is
 * available again — else a fresh {@link pick}. Format does not move a session: a translated
 * provider of equal priority keeps it.
 */
export function chooseFirst<T extends Pickable>(available: readonly T[], boundId: number | undefined, returnToHigher: boolean, rng: Rng): FirstChoice<T> | undefined {
  let reason: FirstChoice<T>['reason'];
  if (boundId !== undefined) {
    const bound = available.find((c) => c.provider.id === boundId);
    if (bound) {
      const best = bestTier(available)[0]!;
      const better = compareTiers(tierOf(best).slice(0, 2), tierOf(bound).slice(0, 2)) < 0;
      if (!returnToHigher || !better) return { chosen: bound, how: 'session' };
      reason = 'returned_to_higher_priority';
    } else reason = 'bound_provider_unavailable';
  }
  const p = pick(available, rng);
  if (!p) return undefined;
  return { chosen: p.chosen, how: p.standby ? 'standby' : 'weighted', probabilities: p.probabilities, ...(reason ? { reason } : {}) };
}

function round(p: number): number {
  return Math.round(p * 10_000) / 10_000;
}

/** A small, fast, seedable generator (mulberry32) for reproducible tests. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
