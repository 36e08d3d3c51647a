/**
 * Translation against the hub's mock upstream: every translated request must be accepted by the
 * provider API it targets, and every answer must come back as a valid client response — the same
 * path the proxy takes, without the proxy.
 */
import { expect } from 'chai';
import type { WireFormat } from '../src/formats/index.ts';
import { createStreamTranslator, translateRequest, translateResponse } from '../src/formats/translate/index.ts';
import { type MockUpstream, createMockUpstream } from '../src/testing/index.ts';
import { PAIRS, chunks, collect, essence, fixtureJson } from './fixtures/translate/helpers.ts';

const MODEL: Record<WireFormat, string> = {
  'anthropic-messages': 'claude-sonnet-4-5',
  'openai-chat': 'gpt-5',
  'openai-responses': 'gpt-5-codex',
  gemini: 'gemini-2.5-pro',
};
const ROOT: Record<WireFormat, string> = { 'anthropic-messages': '/v1', 'openai-chat': '/v1', 'openai-responses': '/v1', gemini: '/v1beta' };

/** The first user turn of a fixture conversation (the mock then answers with a tool call). */
function firstTurn(format: WireFormat): Record<string, unknown> {
  const b = fixtureJson(`requests/${format}.json`);
  const keep = (k: string, n: number) => ({ ...b, [k]: (b[k] as unknown[]).slice(0, n) });
  switch (format) {
    case 'anthropic-messages':
      return keep('messages', 1);
    case 'openai-chat':
      return keep('messages', 2);
    case 'openai-responses':
      return keep('input', 2);
    case 'gemini':
      return keep('contents', 1);
  }
}

describe('translate: against the mock upstream', () => {
  let mock: MockUpstream;
  before(async () => {
    mock = await createMockUpstream({ toolCall: true, text: 'Hello from mock ✨', usage: { input: 40, output: 7, cacheRead: 8 } });
  });
  after(() => mock.close());

  async function call(client: WireFormat, provider: WireFormat, body: Record<string, unknown>, stream: boolean) {
    const tr = translateRequest(client, provider, { ...body, ...(client === 'gemini' ? {} : { stream }) }, { model: MODEL[provider], stream });
    expect(tr.stream).to.equal(stream);
    const res = await fetch(`${mock.url}${ROOT[provider]}${tr.upstream.endpoint.upstreamPath}${tr.upstream.query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(tr.body),
    });
    const text = await res.text();
    expect(res.status, text).to.equal(200);
    if (!stream) return translateResponse(provider, client, JSON.parse(text), { model: undefined, requestId: 'mock' });
    expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
    const t = createStreamTranslator(provider, client, { model: undefined, requestId: 'mock' });
    let out = '';
    for (const c of chunks(Buffer.from(text), 7)) out += t.push(c);
    out += t.end();
    expect(t.error()).to.equal(undefined);
    expect(t.usage()).to.deep.include({ outputTokens: 7 });
    return collect(client, out);
  }

  for (const [client, provider] of PAIRS) {
    it(`${client} client → ${provider} provider: tool call, then the answer, JSON and streamed`, async () => {
      for (const stream of [false, true]) {
        const first = essence(client, await call(client, provider, firstTurn(client), stream));
        expect(first.stopReason, `turn 1 stream=${stream}`).to.equal('tool_use');
        expect(first.calls).to.deep.equal([{ name: 'read_file', input: { path: 'README.md' } }]);
        const second = essence(client, await call(client, provider, fixtureJson(`requests/${client}.json`), stream));
        expect(second.stopReason, `turn 2 stream=${stream}`).to.equal('end_turn');
        expect(second.text).to.equal('Hello from mock ✨');
        expect(second.usage).to.deep.include({ cacheRead: 8, output: 7 });
      }
    });
  }
});
