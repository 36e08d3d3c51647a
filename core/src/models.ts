import type { ProviderRecord } from './provider.ts';

const globCache = new Map<string, RegExp>();

/** Match `*` (any run) and `?` (one character) globs, case-sensitive. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  let re = globCache.get(pattern);
  if (!re) {
    re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    globCache.set(pattern, re);
  }
  return re.test(value);
}

export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => globMatch(p, value));
}

/** The model to send upstream: an exact redirect wins over a glob one. */
export function redirectModel(provider: ProviderRecord, model: string | undefined): string | undefined {
  if (!model) return model;
  const r = provider.modelRedirects;
  if (Object.hasOwn(r, model)) return r[model];
  for (const [pattern, target] of Object.entries(r)) if (globMatch(pattern, model)) return target;
  return model;
}

/** Whether a provider serves a model (checked against the redirected name and the original). */
export function providerAllowsModel(provider: ProviderRecord, requested: string | undefined, redirected: string | undefined): boolean {
  if (provider.models.length === 0 || !requested) return true;
  return matchesAny(provider.models, requested) || (redirected !== undefined && matchesAny(provider.models, redirected));
}

/** Whether a caller's provider groups include one of the provider's groups. */
export function groupsIntersect(callerGroups: readonly string[], providerGroups: readonly string[]): boolean {
  if (callerGroups.includes('*')) return true;
  return providerGroups.some((g) => callerGroups.includes(g));
}
