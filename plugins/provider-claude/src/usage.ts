import { tokenCount, type Usage } from '@cch/core';

interface ClaudeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number };
}

/**
 * Anthropic usage → normalised usage. Cache writes are split into 5-minute and 1-hour buckets
 * when the API says so; without a split, all writes count as 5-minute.
 */
export function extractClaudeUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as ClaudeUsage;
  const c5 = tokenCount(u.cache_creation?.ephemeral_5m_input_tokens);
  const c1h = tokenCount(u.cache_creation?.ephemeral_1h_input_tokens);
  const total = tokenCount(u.cache_creation_input_tokens);
  const split = u.cache_creation !== undefined && c5 + c1h > 0;
  return {
    inputTokens: tokenCount(u.input_tokens),
    outputTokens: tokenCount(u.output_tokens),
    cacheCreationTokens: Math.max(total, c5 + c1h),
    cacheCreation5mTokens: split ? c5 : total,
    cacheCreation1hTokens: split ? c1h : 0,
    cacheReadTokens: tokenCount(u.cache_read_input_tokens),
    reasoningTokens: 0,
  };
}

/** Merge a later usage report (message_delta) into an earlier one (message_start): counts are cumulative. */
export function mergeClaudeUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  return {
    inputTokens: Math.max(a.inputTokens, b.inputTokens),
    outputTokens: Math.max(a.outputTokens, b.outputTokens),
    cacheCreationTokens: Math.max(a.cacheCreationTokens, b.cacheCreationTokens),
    cacheCreation5mTokens: Math.max(a.cacheCreation5mTokens ?? 0, b.cacheCreation5mTokens ?? 0),
    cacheCreation1hTokens: Math.max(a.cacheCreation1hTokens ?? 0, b.cacheCreation1hTokens ?? 0),
    cacheReadTokens: Math.max(a.cacheReadTokens, b.cacheReadTokens),
    reasoningTokens: 0,
  };
}
