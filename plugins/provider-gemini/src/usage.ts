import { tokenCount, type Usage } from '@cch/core';

/** The token fields of Gemini's `usageMetadata` that billing needs. */
export interface UsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  cachedContentTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
}

const FIELDS = ['promptTokenCount', 'candidatesTokenCount', 'cachedContentTokenCount', 'thoughtsTokenCount', 'toolUsePromptTokenCount'] as const;

/**
 * Gemini usage → normalised usage. `promptTokenCount` includes the cached part, so input is the
 * uncached remainder (plus `toolUsePromptTokenCount`, tool results billed as input). Thoughts are
 * reported outside `candidatesTokenCount` but billed as output, so output is their sum and
 * `reasoningTokens` repeats the thoughts.
 */
export function extractGeminiUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as UsageMetadata;
  const prompt = tokenCount(u.promptTokenCount);
  const cached = Math.min(prompt, tokenCount(u.cachedContentTokenCount));
  const thoughts = tokenCount(u.thoughtsTokenCount);
  return {
    inputTokens: prompt - cached + tokenCount(u.toolUsePromptTokenCount),
    outputTokens: tokenCount(u.candidatesTokenCount) + thoughts,
    cacheCreationTokens: 0,
    cacheReadTokens: cached,
    reasoningTokens: thoughts,
  };
}

/**
 * Merge stream chunks' usage metadata field by field. Counts are cumulative, but not every
 * chunk carries every field (early chunks often lack the candidates count), so each field keeps
 * its largest value.
 */
export function mergeUsageMetadata(a: UsageMetadata | undefined, b: unknown): UsageMetadata | undefined {
  if (!b || typeof b !== 'object') return a;
  const next = b as UsageMetadata;
  const out: UsageMetadata = { ...a };
  for (const f of FIELDS) {
    const v = tokenCount(next[f]);
    if (v > tokenCount(out[f])) out[f] = v;
  }
  return out;
}

/**
 * The GenerateContentResponse inside a body: Code Assist wraps it in `{ response }`, the Gemini
 * API does not (and never has a top-level `response` field).
 */
export function unwrapResponse(body: unknown): Record<string, unknown> | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const inner = b.response;
  return inner && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : b;
}

/** Model as served (`modelVersion`). */
export function servedModel(body: unknown): string | undefined {
  const m = unwrapResponse(body)?.modelVersion;
  return typeof m === 'string' && m ? m : undefined;
}
