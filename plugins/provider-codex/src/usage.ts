import { tokenCount, type Usage } from '@cch/core';

interface ResponsesUsage {
  input_tokens?: number;
  output_tokens?: number;
  input_tokens_details?: { cached_tokens?: number } | null;
  output_tokens_details?: { reasoning_tokens?: number } | null;
}

/**
 * Responses usage → normalised usage. `input_tokens` includes the cached part, so input is the
 * uncached remainder; `output_tokens` already includes reasoning, reported separately as well.
 */
export function extractResponsesUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as ResponsesUsage;
  const input = tokenCount(u.input_tokens);
  const cached = Math.min(input, tokenCount(u.input_tokens_details?.cached_tokens));
  return {
    inputTokens: input - cached,
    outputTokens: tokenCount(u.output_tokens),
    cacheCreationTokens: 0,
    cacheReadTokens: cached,
    reasoningTokens: tokenCount(u.output_tokens_details?.reasoning_tokens),
  };
}

/** `model` of a response object. */
export function responseModel(response: unknown): string | undefined {
  const m = (response as { model?: unknown } | undefined)?.model;
  return typeof m === 'string' && m ? m : undefined;
}
