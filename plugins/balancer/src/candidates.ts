import { adapterServes, canServe, groupsIntersect, providerAllowsModel, redirectModel, type Candidate, type Exchange, type ProviderDirectory, type ProviderRecord } from '@cch/core';

/** Why a provider was left out, as recorded in the decision chain. */
export type ExclusionReason = 'disabled' | 'no_adapter' | 'group' | 'operation' | 'model' | 'format' | 'circuit_open' | 'rate_limited' | 'cooling_down';

/** Reasons that depend on this request only (not the provider's health): a session keeps its binding. */
export const REQUEST_SPECIFIC: ReadonlySet<ExclusionReason> = new Set(['group', 'operation', 'model', 'format']);

export interface Exclusion {
  id: number;
  name: string;
  reason: ExclusionReason;
  /** When the provider may be tried again (epoch ms), if known. */
  until?: number;
  /** More detail, e.g. `probe_busy` for a half-open circuit whose probe slots are taken. */
  detail?: string;
}

/** A provider that may serve this request. */
export interface RouteCandidate extends Candidate {
  /** Served through translation from the client's wire format. */
  translated: boolean;
  /** Its circuit is half-open: only a request holding a probe slot may go there. */
  halfOpen: boolean;
}

type RequestShape = Pick<Exchange, 'clientFormat' | 'endpoint' | 'identity' | 'model'> & { stream?: boolean };

/**
 * The providers configured to serve this request — enabled, with a loaded adapter, in the
 * caller's provider groups, serving the operation and the (redirected) model, speaking the
 * client's format or accepting translation from it — and why each other one is not.
 */
export function staticCandidates(ex: RequestShape, providers: ProviderDirectory): { candidates: RouteCandidate[]; excluded: Exclusion[] } {
  const candidates: RouteCandidate[] = [];
  const excluded: Exclusion[] = [];
  for (const p of providers.list()) {
    const adapter = providers.adapter(p.type);
    const model = redirectModel(p, ex.model);
    let reason: ExclusionReason | undefined;
    if (!p.enabled) reason = 'disabled';
    else if (!adapter) reason = 'no_adapter';
    else if (ex.identity && !groupsIntersect(ex.identity.providerGroups, p.groups)) reason = 'group';
    else if (adapter.format === ex.clientFormat && !adapterServes(adapter, ex.endpoint)) reason = 'operation';
    else if (!providerAllowsModel(p, ex.model, model)) reason = 'model';
    else if (adapter.format !== ex.clientFormat && !acceptsTranslationFrom(p, ex.clientFormat)) reason = 'format';
    else if (!canServe(ex, p, adapter, model)) reason = 'operation';
    if (reason || !adapter) excluded.push({ id: p.id, name: p.name, reason: reason ?? 'no_adapter' });
    else candidates.push({ provider: p, adapter, model, translated: adapter.format !== ex.clientFormat, halfOpen: false });
  }
  return { candidates, excluded };
}

function acceptsTranslationFrom(p: ProviderRecord, format: Exchange['clientFormat']): boolean {
  return p.acceptsTranslation === true || (Array.isArray(p.acceptsTranslation) && p.acceptsTranslation.includes(format));
}
