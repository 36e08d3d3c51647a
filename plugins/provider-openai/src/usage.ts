import { tokenCount, type Usage } from '@cch/core';

interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  /** DeepSeek reports cache hits outside the details object. */
  prompt_cache_hit_tokens?: number;
  /** Moonshot / Kimi. */
  cached_tokens?: number;
}

/**
 * Chat Completions usage → normalised usage. OpenAI counts cached tokens inside `prompt_tokens`
 * and reasoning tokens inside `completion_tokens`, so input is the uncached remainder and output
 * stays as reported (reasoning is billed as output; `reasoningTokens` is informational).
 */
export function extractChatUsage(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const u = raw as ChatUsage;
  const prompt = tokenCount(u.prompt_tokens);
  const cached = Math.min(prompt, tokenCount(u.prompt_tokens_details?.cached_tokens) || tokenCount(u.prompt_cache_hit_tokens) || tokenCount(u.cached_tokens));
  return {
    inputTokens: prompt - cached,
    outputTokens: tokenCount(u.completion_tokens),
    cacheCreationTokens: 0,
    cacheReadTokens: cached,
    reasoningTokens: tokenCount(u.completion_tokens_details?.reasoning_tokens),
  };
}

/** The `usage` of a response body or stream chunk; Groq nests it under `x_groq`. */
export function usageField(body: unknown): unknown {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { usage?: unknown; x_groq?: { usage?: unknown } };
  return b.usage ?? b.x_groq?.usage;
}

/** `model` of a response body or chunk. */
export function modelField(body: unknown): string | undefined {
  const m = (body as { model?: unknown } | undefined)?.model;
  return typeof m === 'string' && m ? m : undefined;
}
