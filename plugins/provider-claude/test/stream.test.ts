import { expect } from 'chai';
import { createClaudeStreamParser } from '../src/stream.ts';
import { fixture } from './helpers.ts';

/** An Anthropic stream with multi-byte text everywhere, CRLF line ends and an error event at the end. */
function stream(): Buffer {
  const ev = (name: string, data: unknown, eol = '\n') => `event: ${name}${eol}data: ${JSON.stringify(data)}${eol}${eol}`;
  return Buffer.from(
    ev('message_start', { type: 'message_start', message: { id: 'msg_é', model: 'claude-😀-1', content: [], usage: { input_tokens: 12, cache_creation_input_tokens: 3, cache_read_input_tokens: 40, output_tokens: 1 } } }, '\r\n') +
      ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'héllo € 😀 event: message_delta' } }) +
      ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 77 } }, '\r\n') +
      ev('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded — réessayez' } }),
  );
}

function parse(pieces: Buffer[]) {
  const p = createClaudeStreamParser();
  for (const piece of pieces) p.push(piece);
  return { usage: p.usage(), model: p.model(), error: p.error?.() };
}

describe('provider-claude: stream usage parser', () => {
  it('reads usage, model and error identically wherever the stream is cut (every pair of byte offsets)', () => {
    const bytes = stream();
    const whole = parse([bytes]);
    expect(whole.usage).to.include({ inputTokens: 12, outputTokens: 77, cacheReadTokens: 40, cacheCreationTokens: 3 });
    expect(whole.model).to.equal('claude-😀-1');
    expect(whole.error).to.equal('Overloaded — réessayez');
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 7) {
        expect(parse([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)]), `cut at ${i} and ${j}`).to.deep.equal(whole);
      }
    }
    expect(parse([...bytes].map((b) => Buffer.from([b])))).to.deep.equal(whole);
  });

  it('the recorded fixture, cut at every pair of offsets', () => {
    const bytes = fixture('stream-thinking.sse');
    const whole = parse([bytes]);
    expect(whole.usage).to.include({ inputTokens: 3, outputTokens: 96, cacheReadTokens: 20110, cacheCreationTokens: 412 });
    for (let i = 0; i <= bytes.length; i += 3) {
      for (let j = i; j <= bytes.length; j += 11) {
        expect(parse([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).to.deep.equal(whole);
      }
    }
  });
});
