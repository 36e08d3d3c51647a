/** One server-sent event. `event` is undefined when the event had no `event:` line. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/**
 * Incremental SSE parser: feed raw chunks, get complete events. Handles events split across
 * chunks, CRLF line ends and multi-line data. `filter` lets callers skip events they don't need
 * before their data is decoded (cheap on the hot path).
 */
export function createSseParser(onEvent: (e: SseEvent) => void, filter?: (eventName: string | undefined) => boolean) {
  let buf = '';
  const decoder = new TextDecoder();
  const flushBlock = (block: string) => {
    let event: string | undefined;
    let data = '';
    let hasData = false;
    for (const rawLine of block.split('\n')) {
      const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) {
        const v = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        data = hasData ? `${data}\n${v}` : v;
        hasData = true;
      }
    }
    if (!hasData) return;
    if (filter && !filter(event)) return;
    onEvent({ event, data });
  };
  return {
    push(chunk: Buffer | string) {
      buf += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
      let idx: number;
      while ((idx = nextBoundary(buf)) >= 0) {
        const block = buf.slice(0, idx);
        buf = buf.slice(buf.startsWith('\r\n\r\n', idx) ? idx + 4 : idx + 2);
        flushBlock(block);
      }
    },
    end() {
      if (buf.trim()) flushBlock(buf);
      buf = '';
    },
  };
}

function nextBoundary(s: string): number {
  const a = s.indexOf('\n\n');
  const b = s.indexOf('\r\n\r\n');
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}
