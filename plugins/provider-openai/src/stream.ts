import { createSseParser, type StreamUsageParser, type Usage } from '@cch/core';
import { extractChatUsage, modelField, usageField } from './usage.ts';

// Only chunks that can change what we report are decoded: the usage chunk (a non-null object),
// errors, and the first chunk for the model. Text deltas are skipped unparsed.
const USAGE_OBJECT = /"usage"\s*:\s*\{/;

/**
 * Watches a Chat Completions SSE stream: the model from the first chunk, usage from the final
 * chunk that `stream_options.include_usage` adds, and an in-stream `{"error": …}` if one comes.
 */
export function createChatStreamParser(): StreamUsageParser {
  let usage: Usage | undefined;
  let model: string | undefined;
  let error: string | undefined;
  const sse = createSseParser(({ data }) => {
    if (data === '[DONE]') return;
    const wantsUsage = USAGE_OBJECT.test(data);
    const maybeError = data.includes('"error"');
    if (model && !wantsUsage && !maybeError) return;
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    model ??= modelField(j);
    const u = extractChatUsage(usageField(j));
    if (u) usage = u;
    if (j.error) {
      const e = j.error as { message?: unknown };
      error = typeof e.message === 'string' ? e.message : typeof j.error === 'string' ? j.error : 'upstream stream error';
    }
  });
  return {
    // Methods, not arrow properties: tsx (esbuild keepNames) wraps each arrow in __name per parser.
    push(chunk) {
      sse.push(chunk);
    },
    usage() {
      return usage;
    },
    model() {
      return model;
    },
    error() {
      return error;
    },
  };
}
