/**
 * Tiny Server-Sent Events helpers shared by the mock upstream (writing) and tests (reading).
 * Only the subset the provider APIs use: `event:` and single-line `data:` fields.
 */

/** One parsed SSE event. `event` is undefined when the stream sends bare `data:` lines (OpenAI Chat, Gemini). */
export interface SseEvent {
  event?: string;
  data: string;
}

/** Response headers for an SSE stream; `no-transform` stops proxies from buffering or compressing it. */
export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
};

/**
 * Frame one SSE event. Objects are JSON-encoded; strings are sent as-is (e.g. `[DONE]`).
 * JSON never contains a raw newline, so a single `data:` line is always enough.
 */
export function sseEvent(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${payload}\n\n` : `event: ${event}\ndata: ${payload}\n\n`;
}

/**
 * Parse a complete SSE text into events. Multi-line `data:` fields are joined with `\n` per the
 * spec; comments and unknown fields are skipped. Tolerates `\r\n` line endings.
 */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || event !== undefined) events.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
  }
  return events;
}
