import { expect } from 'chai';
import { createSseParser, type SseEvent, type SseFilter } from '../src/formats/sse.ts';

/**
 * The parser as it was (decode everything, split strings): the reference the byte-level parser
 * must agree with, event for event, however the input is cut into chunks.
 */
function referenceParser(onEvent: (e: SseEvent) => void, filter?: (eventName: string | undefined) => boolean) {
  let buf = '';
  const decoder = new TextDecoder();
  const nextBoundary = (s: string): number => {
    const a = s.indexOf('\n\n');
    const b = s.indexOf('\r\n\r\n');
    if (a < 0) return b;
    if (b < 0) return a;
    return Math.min(a, b);
  };
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

/** Filters as the byte parser takes them, and the equivalent predicate for the reference. */
const asPredicate = (f: SseFilter | undefined): ((e: string | undefined) => boolean) | undefined =>
  f === undefined || typeof f === 'function' ? f : (e) => (e === undefined ? f.unnamed === true : f.events.includes(e));

const FILTERS: Record<string, SseFilter | undefined> = {
  none: undefined,
  predicate: (e) => e !== undefined && ['message_start', 'message_delta', 'error'].includes(e),
  names: { events: ['message_start', 'message_delta', 'error'] },
  'names + unnamed': { events: ['message_start', 'error', 'ping'], unnamed: true },
  'empty name': { events: ['', 'error', 'error'] },
  'names with spaces': { events: [' x', 'x\u00a0', 'a\rb', 'é', 'x'] },
  'odd names': { events: ['\ud800', 'a\ud800b', '\u2003x', 'aéb', 'x\u3000', '\ufeffmessage_start', 'message_start'] },
  nothing: { events: [] },
};

/** Deterministic pseudo-random input: mostly well-formed SSE with awkward names, line ends and bytes. */
function generator(seed: number) {
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const NAMES = ['message_start', 'message_delta', 'error', 'ping', 'content_block_delta', 'é', '', ' message_start', 'message_start\t', '\u00a0error', 'message_start\u3000', '\u2003error', 'x', ' x', 'x\u00a0', 'a\rb', '\ufffd', 'a\ufffdb', 'aéb', '\ufeffmessage_start'];
  const PAYLOADS = ['{"a":1}', '{"t":"error message_start"}', '', ' x', 'é€😀', '[DONE]'];
  const EOL = ['\n', '\n', '\n', '\r\n', '\r\n', '\r', '\r\r\n'];
  const NOISE: (string | number[])[] = ['event:', 'data:', '\n', '\r\n', '\r', ' ', '\t', '\u00a0', '\u3000', 'é', '😀', ': comment', 'id: 3', [0xef, 0xbb, 0xbf], [0xe2, 0x82], [0xf0, 0x9f], [0xff], [0x80], [0xed, 0xa0, 0x80], [0xc2]];
  const noise = (parts: Buffer[]) => {
    const t = pick(NOISE);
    parts.push(typeof t === 'string' ? Buffer.from(t) : Buffer.from(t));
  };
  const input = (): Buffer => {
    const parts: Buffer[] = [];
    if (rnd() < 0.15) parts.push(Buffer.from([0xef, 0xbb, 0xbf]));
    if (rnd() < 0.25) {
      for (let i = Math.floor(rnd() * 60); i > 0; i--) noise(parts);
      return Buffer.concat(parts);
    }
    for (let b = Math.floor(rnd() * 8); b > 0; b--) {
      for (let l = 1 + Math.floor(rnd() * 4); l > 0; l--) {
        const r = rnd();
        if (r < 0.35) parts.push(Buffer.from(`event:${rnd() < 0.7 ? ' ' : ''}${pick(NAMES)}`));
        else if (r < 0.85) parts.push(Buffer.from(`data:${rnd() < 0.7 ? ' ' : ''}${pick(PAYLOADS)}`));
        else noise(parts);
        if (rnd() < 0.1) noise(parts);
        parts.push(Buffer.from(pick(EOL)));
      }
      parts.push(Buffer.from(pick(EOL)));
    }
    if (rnd() < 0.3) parts.push(Buffer.from(`event: ${pick(NAMES)}\ndata: {"x":"é`)); // unfinished tail
    if (rnd() < 0.2) parts.push(Buffer.from(pick([[0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3]])));
    return Buffer.concat(parts);
  };
  const split = (b: Buffer): Buffer[] => {
    const p = rnd() < 0.3 ? 0.9 : 0.15;
    const pieces: Buffer[] = [];
    let last = 0;
    for (let i = 1; i < b.length; i++) {
      if (rnd() < p) {
        pieces.push(b.subarray(last, i));
        last = i;
      }
    }
    pieces.push(b.subarray(last));
    return pieces;
  };
  return { input, split, rnd };
}

function run(make: (on: (e: SseEvent) => void) => { push(c: Buffer | string): void; end(): void }, pieces: (Buffer | string)[], endAt: number | undefined, callEnd: boolean): SseEvent[] {
  const out: SseEvent[] = [];
  const p = make((e) => out.push(e));
  pieces.forEach((piece, i) => {
    if (i === endAt) p.end();
    p.push(piece);
  });
  if (callEnd) p.end();
  return out;
}

describe('SSE parser', () => {
  it('agrees with the string-based reference on generated input, however it is cut', () => {
    const g = generator(20251126);
    for (let r = 0; r < 1500; r++) {
      const input = g.input();
      const pieces = g.split(input);
      const callEnd = g.rnd() < 0.7;
      const endAt = callEnd && g.rnd() < 0.3 ? Math.floor(g.rnd() * pieces.length) : undefined;
      for (const [name, filter] of Object.entries(FILTERS)) {
        const want = run((on) => referenceParser(on, asPredicate(filter)), pieces, endAt, callEnd);
        const got = run((on) => createSseParser(on, filter), pieces, endAt, callEnd);
        expect(got, `${name}: ${JSON.stringify(input.toString('latin1'))} in ${pieces.length} pieces`).to.deep.equal(want);
      }
    }
  });

  it('finds every event whatever byte the stream is cut at (multi-byte UTF-8, CRLF, BOM)', () => {
    const text = '\ufeffevent: message_start\r\ndata: {"m":"é€😀"}\r\n\r\nevent: ping\ndata: {}\n\n: note\nevent:  message_delta \ndata: a\ndata: 😀\n\ndata: {"u":1}\n\n';
    const bytes = Buffer.from(text);
    const want = [
      { event: 'message_start', data: '{"m":"é€😀"}' },
      { event: 'message_delta', data: 'a\n😀' },
    ];
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const got: SseEvent[] = [];
        const p = createSseParser((e) => got.push(e), { events: ['message_start', 'message_delta'] });
        p.push(bytes.subarray(0, i));
        p.push(bytes.subarray(i, j));
        p.push(bytes.subarray(j));
        expect(got, `cut at ${i} and ${j}`).to.deep.equal(want);
      }
    }
  });

  it('name lists: trimmed names, unnamed events on request, the caller’s strings handed back', () => {
    const input = 'event:\tmessage_start  \ndata: 1\n\ndata: 2\n\nevent: message_stop\ndata: 3\n\nevent: message_start\nevent: ping\ndata: 4\n\n';
    const named: SseEvent[] = [];
    createSseParser((e) => named.push(e), { events: ['message_start'] }).push(Buffer.from(input));
    expect(named).to.deep.equal([{ event: 'message_start', data: '1' }]);
    const withUnnamed: SseEvent[] = [];
    createSseParser((e) => withUnnamed.push(e), { events: ['ping'], unnamed: true }).push(Buffer.from(input));
    expect(withUnnamed).to.deep.equal([
      { event: undefined, data: '2' },
      { event: 'ping', data: '4' },
    ]);
  });

  it('end() hands over a last block without a blank line, holding back an unfinished UTF-8 sequence', () => {
    const got: SseEvent[] = [];
    const p = createSseParser((e) => got.push(e));
    p.push(Buffer.concat([Buffer.from('data: {"a":"x"}'), Buffer.from([0xe2, 0x82])]));
    p.end();
    expect(got).to.deep.equal([{ event: undefined, data: '{"a":"x"}' }]);
    // The held bytes complete with later input, as TextDecoder's would.
    p.push(Buffer.from([0xac, 0x0a, 0x0a]));
    p.push('data: ok\n\n');
    expect(got.slice(1)).to.deep.equal([{ event: undefined, data: 'ok' }]);
  });

  it('a predicate sees only events that carry data, by their trimmed name', () => {
    const asked: (string | undefined)[] = [];
    createSseParser(
      () => {},
      (e) => {
        asked.push(e);
        return true;
      },
    ).push(Buffer.from('event: a \n\nevent: b\ndata: x\n\ndata: y\n\n'));
    expect(asked).to.deep.equal(['b', undefined]);
  });
});
