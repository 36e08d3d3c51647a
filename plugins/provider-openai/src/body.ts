const ASK_FOR_USAGE = Buffer.from('"stream_options":{"include_usage":true},');

/**
 * A streaming Chat Completions body that asks for the final usage chunk. The hub bills from that
 * chunk, so it is always requested; the client then also receives it (one extra chunk with
 * `choices: []`, which OpenAI's SDKs expect whenever `include_usage` is on).
 *
 * When the body has no top-level `stream_options`, the field is spliced in after the opening
 * brace and every other byte stays as the client sent it. Otherwise the body is re-serialised
 * with `include_usage: true` merged into the client's options (a `false` is overridden).
 */
export function withStreamUsage(body: Buffer): Buffer {
  if (body.includes('"stream_options"')) {
    let j: Record<string, unknown>;
    try {
      j = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      return body;
    }
    const so = j.stream_options;
    if (so && typeof so === 'object' && !Array.isArray(so)) {
      if ((so as { include_usage?: unknown }).include_usage === true) return body;
      return Buffer.from(JSON.stringify({ ...j, stream_options: { ...so, include_usage: true } }));
    }
    if (so !== undefined) return Buffer.from(JSON.stringify({ ...j, stream_options: { include_usage: true } }));
  }
  const open = body.indexOf(0x7b); // '{'
  if (open < 0) return body;
  return Buffer.concat([body.subarray(0, open + 1), ASK_FOR_USAGE, body.subarray(open + 1)]);
}
