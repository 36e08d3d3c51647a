import { createSseParser, type StreamUsageParser, type Usage } from '@cch/core';
import { extractResponsesUsage, responseModel } from './usage.ts';

/** Events that carry the response object (model, usage) or an error; deltas are skipped undecoded. */
const WANTED = new Set(['response.created', 'response.completed', 'response.incomplete', 'response.failed', 'error']);
/** Named events outside WANTED are skipped undecoded; unnamed ones are judged by their `type`. */
const FILTER = { events: [...WANTED], unnamed: true };

interface ResponsesEvent {
  type?: string;
  response?: { model?: unknown; usage?: unknown; error?: { message?: unknown } | null };
  message?: unknown;
  error?: { message?: unknown };
}

/**
 * Watches a Responses SSE stream: the model from `response.created`, final usage from the
 * terminal event (`response.completed`, `.incomplete` or `.failed`), errors from `error` and
 * `response.failed`. Streams without `event:` lines are read by each payload's `type`.
 */
export function createResponsesStreamParser(): StreamUsageParser {
  let usage: Usage | undefined;
  let model: string | undefined;
  let error: string | undefined;
  const sse = createSseParser(
    ({ event, data }) => {
      let j: ResponsesEvent;
      try {
        j = JSON.parse(data) as ResponsesEvent;
      } catch {
        return;
      }
      const type = event ?? j.type;
      if (type === 'error') {
        const m = j.message ?? j.error?.message;
        error = typeof m === 'string' ? m : 'upstream stream error';
        return;
      }
      if (!type || !WANTED.has(type)) return;
      model = responseModel(j.response) ?? model;
      usage = extractResponsesUsage(j.response?.usage) ?? usage;
      if (type === 'response.failed') {
        const m = j.response?.error?.message;
        error = typeof m === 'string' ? m : 'response failed';
      }
    },
    FILTER,
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
