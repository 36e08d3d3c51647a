/** One server-sent event. `event` is undefined when the event had no `event:` line. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** Events to keep, by name; others are skipped without decoding anything (cheaper than a predicate). */
export interface SseEventNames {
  events: readonly string[];
  /** Also keep events that have no `event:` line. */
  unnamed?: boolean;
}

/** Which events reach `onEvent`: a predicate on the event name, or a list of names. */
export type SseFilter = ((eventName: string | undefined) => boolean) | SseEventNames;

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * Incremental SSE parser: feed raw chunks, get complete events. Handles events split across
 * chunks (at any byte, including inside a UTF-8 sequence), CRLF line ends and multi-line data.
 * `filter` lets callers skip events they don't need before their data is decoded (cheap on the
 * hot path); a list of names ({@link SseEventNames}) is cheapest.
 *
 * It works on the bytes: line ends are found with `indexOf` (memchr), and only the data of kept
 * events (and the event name, when a predicate asks for it) is decoded. Results are those of
 * decoding the stream with a `TextDecoder` (a leading BOM dropped, an unfinished UTF-8 sequence held
 * back at `end()`), cutting blocks at the first `\n\n` or `\r\n\r\n`, lines at `\n` (one trailing
 * `\r` dropped), and trimming `event:` values.
 */
export function createSseParser(onEvent: (e: SseEvent) => void, filter?: SseFilter) {
  const st = new ParserState(onEvent, filter);
  // Methods, not arrow properties: no per-parser `__name` wrapping under tsx (esbuild keepNames).
  return {
    push(chunk: Buffer | string): void {
      push(st, chunk);
    },
    end(): void {
      end(st);
    },
  };
}

/** One parser's configuration and state (module functions below work on it: no closures per parser). */
class ParserState {
  readonly onEvent: (e: SseEvent) => void;
  readonly predicate: ((eventName: string | undefined) => boolean) | undefined;
  /** Wanted names (list filter) as bytes (undefined: can never match), and as the caller's strings. */
  readonly names: (Buffer | undefined)[] | undefined;
  readonly nameStrings: readonly string[] = [];
  readonly nameSet: Set<string> | undefined;
  readonly unnamed: boolean = false;

  /** The unfinished last block: private copies of its bytes, not yet joined. */
  pend: Buffer[] = [];
  pendLen = 0;
  /** Whether the first bytes were checked for a BOM (TextDecoder drops one at the start). */
  bomChecked = false;
  /** First bytes, fewer than three, that may still turn out to be a BOM. */
  head: Buffer | undefined = undefined;

  // The block being parsed: last `event:` value [evA, evB), first `data:` value [dA, dB), more data.
  evA = -1;
  evB = -1;
  dA = -1;
  dB = -1;
  more: number[] | undefined = undefined;

  constructor(onEvent: (e: SseEvent) => void, filter: SseFilter | undefined) {
    this.onEvent = onEvent;
    this.predicate = typeof filter === 'function' ? filter : undefined;
    if (filter && typeof filter !== 'function') {
      this.nameStrings = filter.events;
      // By bytes: names that are their own trim (others never equal a trimmed value) and valid UTF-16.
      this.names = filter.events.map((n) => (n === n.trim() && Buffer.from(n).toString() === n ? Buffer.from(n) : undefined));
      this.nameSet = new Set(filter.events);
      this.unnamed = filter.unnamed === true;
    }
  }
}

function push(st: ParserState, chunk: Buffer | string): void {
  let buf: Buffer;
  if (typeof chunk === 'string') buf = Buffer.from(chunk, 'utf8');
  else {
    buf = chunk;
    if (!st.bomChecked) {
      if (st.head) {
        buf = Buffer.concat([st.head, buf]);
        st.head = undefined;
      }
      if (buf.length < 3 && isBomPrefix(buf)) {
        st.head = Buffer.from(buf);
        return;
      }
      st.bomChecked = true;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
  }
  if (buf.length === 0) return;
  if (st.pendLen > 0) {
    // No line feed: no block can end here; keep the bytes for later.
    if (buf.indexOf(LF) === -1) return keep(st, buf, 0);
    st.pend.push(buf);
    buf = Buffer.concat(st.pend, st.pendLen + buf.length);
    st.pend = [];
    st.pendLen = 0;
  }
  keep(st, buf, walk(st, buf));
}

function end(st: ParserState): void {
  if (st.pendLen === 0) return;
  const p = st.pend.length === 1 ? st.pend[0]! : Buffer.concat(st.pend, st.pendLen);
  // Like TextDecoder, hold back an unfinished UTF-8 sequence for later input.
  const n = p.length - heldUtf8(p);
  st.pend = [];
  st.pendLen = 0;
  keep(st, p, n);
  if (n === 0) return;
  // The rest is one block (it holds no boundary): its lines, then the block itself.
  let ls = 0;
  for (let j = p.indexOf(LF, 0); j !== -1 && j < n; j = p.indexOf(LF, ls)) {
    line(st, p, ls, j);
    ls = j + 1;
  }
  line(st, p, ls, n);
  finish(st, p);
}

/** Keep buf[from..] (a copy) as the unfinished block. */
function keep(st: ParserState, buf: Buffer, from: number): void {
  if (from >= buf.length) return;
  const rest = Buffer.from(buf.subarray(from));
  st.pend.push(rest);
  st.pendLen += rest.length;
}

/** Parse every complete block in `buf`; returns where the unfinished one starts. */
function walk(st: ParserState, buf: Buffer): number {
  let s = 0; // block start
  let ls = 0; // line start
  let j = buf.indexOf(LF, 0);
  while (j !== -1) {
    // The first boundary wins: `\r\n\r\n` starting just before this line feed, or `\n\n` at it.
    let e = -1;
    let next = 0;
    if (j > s && buf[j - 1] === CR && buf[j + 1] === CR && buf[j + 2] === LF) {
      e = j - 1;
      next = j + 3;
    } else if (buf[j + 1] === LF) {
      e = j;
      next = j + 2;
    }
    if (e < 0) {
      line(st, buf, ls, j);
      ls = j + 1;
      j = buf.indexOf(LF, ls);
      continue;
    }
    line(st, buf, ls, e);
    finish(st, buf);
    s = ls = next;
    j = buf.indexOf(LF, next);
  }
  // Unfinished block: forget what was noted; it is parsed again once complete.
  st.evA = st.dA = -1;
  st.more = undefined;
  return s;
}

/** Note the line [ls, le) of the current block. */
function line(st: ParserState, buf: Buffer, ls: number, le: number): void {
  if (le > ls && buf[le - 1] === CR) le--;
  const n = le - ls;
  if (n < 5) return;
  const c = buf[ls];
  if (c === 0x64 && buf[ls + 4] === COLON && buf[ls + 1] === 0x61 && buf[ls + 2] === 0x74 && buf[ls + 3] === 0x61) {
    // data:
    let v = ls + 5;
    if (v < le && buf[v] === SPACE) v++;
    if (st.dA < 0) {
      st.dA = v;
      st.dB = le;
    } else (st.more ??= []).push(v, le);
  } else if (c === 0x65 && n >= 6 && buf[ls + 5] === COLON && buf[ls + 1] === 0x76 && buf[ls + 2] === 0x65 && buf[ls + 3] === 0x6e && buf[ls + 4] === 0x74) {
    // event:
    st.evA = ls + 6;
    st.evB = le;
  }
}

/** The current block is complete: hand it on if it has data and passes the filter; reset. */
function finish(st: ParserState, buf: Buffer): void {
  const a = st.dA;
  const ea = st.evA;
  st.evA = st.dA = -1;
  if (a < 0) return;
  const b = st.dB;
  const m = st.more;
  st.more = undefined;
  let event: string | undefined;
  if (st.names) {
    if (ea >= 0) {
      event = wantedName(st, buf, ea, st.evB);
      if (event === undefined) return;
    } else if (!st.unnamed) return;
  } else {
    event = ea >= 0 ? buf.toString('utf8', ea, st.evB).trim() : undefined;
    if (st.predicate && !st.predicate(event)) return;
  }
  let data = buf.toString('utf8', a, b);
  if (m) for (let i = 0; i < m.length; i += 2) data = `${data}\n${buf.toString('utf8', m[i], m[i + 1])}`;
  st.onEvent({ event, data });
}

/** The wanted name equal to the trimmed event value [a, b), if any. */
function wantedName(st: ParserState, buf: Buffer, a: number, b: number): string | undefined {
  while (a < b && isAsciiSpace(buf[a]!)) a++;
  while (b > a && isAsciiSpace(buf[b - 1]!)) b--;
  if (a < b && (buf[a]! >= 0x80 || buf[b - 1]! >= 0x80)) {
    // It may start or end with a Unicode space, which String#trim removes too: decode and trim.
    const s = buf.toString('utf8', a, b).trim();
    return st.nameSet!.has(s) ? s : undefined;
  }
  // ASCII at both ends: trimming is done, and equal strings are equal bytes.
  const n = b - a;
  const names = st.names!;
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    if (name === undefined || name.length !== n) continue;
    let i = 0;
    while (i < n && name[i] === buf[a + i]) i++;
    if (i === n) return st.nameStrings[k];
  }
  return undefined;
}

function isAsciiSpace(b: number): boolean {
  return b === SPACE || (b >= 0x09 && b <= 0x0d);
}

function isBomPrefix(b: Buffer): boolean {
  return (b.length < 1 || b[0] === 0xef) && (b.length < 2 || b[1] === 0xbb);
}

/** How many trailing bytes are an unfinished (so far valid) UTF-8 sequence, as TextDecoder holds them. */
function heldUtf8(b: Buffer): number {
  const n = b.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const lead = b[n - k]!;
    if (lead >= 0x80 && lead <= 0xbf) continue; // continuation byte: look further back
    const need = lead >= 0xc2 && lead <= 0xdf ? 1 : lead >= 0xe0 && lead <= 0xef ? 2 : lead >= 0xf0 && lead <= 0xf4 ? 3 : 0;
    if (need < k) return 0; // complete, ASCII or invalid: nothing held
    const lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    if (k > 1 && (b[n - k + 1]! < lo || b[n - k + 1]! > hi)) return 0;
    return k;
  }
  return 0;
}
