import { createSseParser, type StreamUsageParser, type Usage } from '@cch/core';
import { extractClaudeUsage, mergeClaudeUsage } from './usage.ts';

/** The events that carry usage, the model or an error; the rest are skipped undecoded. */
const WANTED = { events: ['message_start', 'message_delta', 'error'] };

/**
 * Watches an Anthropic SSE stream for usage: `message_start` carries input and cache tokens,
 * `message_delta` the cumulative output. Other events are skipped before decoding.
 */
export function createClaudeStreamParser(): StreamUsageParser {
  let usage: Usage | undefined;
  let model: string | undefined;
  let error: string | undefined;
  const sse = createSseParser(
    ({ event, data }) => {
      let j: { message?: { model?: string; usage?: unknown }; usage?: unknown; error?: { message?: string } };
      try {
        j = JSON.parse(data);
      } catch {
        return;
      }
      if (event === 'message_start') {
        model = j.message?.model ?? model;
        usage = mergeClaudeUsage(usage, extractClaudeUsage(j.message?.usage));
      } else if (event === 'message_delta') {
        usage = mergeClaudeUsage(usage, extractClaudeUsage(j.usage));
      } else if (event === 'error') {
        error = j.error?.message ?? 'upstream stream error';
      }
    },
    WANTED,
  );
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
