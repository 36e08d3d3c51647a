import { createSseParser, type StreamUsageParser, type Usage } from '@cch/core';
import { createJsonArraySplitter } from './json-array.ts';
import { extractGeminiUsage, mergeUsageMetadata, unwrapResponse, type UsageMetadata } from './usage.ts';

/**
 * Watches a Gemini stream — SSE (`alt=sse`) or a streamed JSON array, told apart by the first
 * byte — for `usageMetadata` (cumulative; the last chunks hold the totals), `modelVersion` and an
 * `{"error": …}` element. Code Assist's `{ response }` envelope is unwrapped. Chunks that can
 * change none of these are skipped without being decoded.
 */
export function createGeminiStreamParser(): StreamUsageParser {
  let meta: UsageMetadata | undefined;
  let model: string | undefined;
  let error: string | undefined;

  const onChunk = (text: string) => {
    const hasUsage = text.includes('"usageMetadata"');
    const hasError = text.includes('"error"');
    if (!hasUsage && !hasError && (model !== undefined || !text.includes('"modelVersion"'))) return;
    let j: unknown;
    try {
      j = JSON.parse(text);
    } catch {
      return;
    }
    const top = j as { error?: { message?: unknown } } | undefined;
    if (top?.error && typeof top.error === 'object') {
      error = typeof top.error.message === 'string' ? top.error.message : 'upstream stream error';
      return;
    }
    const r = unwrapResponse(j);
    if (!r) return;
    if (model === undefined && typeof r.modelVersion === 'string' && r.modelVersion) model = r.modelVersion;
    if (hasUsage) meta = mergeUsageMetadata(meta, r.usageMetadata);
  };

  const sse = createSseParser(({ data }) => onChunk(data));
  const array = createJsonArraySplitter(onChunk);
  let mode: 'sse' | 'array' | undefined;
  return {
    push(chunk) {
      if (mode === undefined) {
        const first = chunk.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
        if (first === undefined) return;
        mode = first === 0x5b ? 'array' : 'sse';
      }
      if (mode === 'array') array.push(chunk);
      else sse.push(chunk);
    },
    usage(): Usage | undefined {
      return extractGeminiUsage(meta);
    },
    model() {
      return model;
    },
    error() {
      return error;
    },
  };
}
