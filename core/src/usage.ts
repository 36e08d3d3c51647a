/** Token usage of one exchange, normalised across wire formats. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** All cache-write tokens (sum of the 5 m and 1 h buckets where the provider splits them). */
  cacheCreationTokens: number;
  cacheCreation5mTokens?: number;
  cacheCreation1hTokens?: number;
  cacheReadTokens: number;
  reasoningTokens: number;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, reasoningTokens: 0 };
}

/** Non-negative integer or 0; providers sometimes send null or strings. */
export function tokenCount(v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
