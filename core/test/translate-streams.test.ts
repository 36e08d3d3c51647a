import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import type { WireFormat } from '../src/formats/index.ts';
import { createStreamTranslator, type StreamTranslatorOptions } from '../src/formats/translate/index.ts';
import { parseSse } from '../src/testing/sse.ts';
import { FORMATS, KINDS, PAIRS, chunks, collect, collectAnthropic, collectChat, essence, fixture, fixtureJson, golden, stableText } from './fixtures/translate/helpers.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function translate(from: WireFormat, to: WireFormat, input: string | Buffer, size: number, extra: Partial<StreamTranslatorOptions> = {}) {
  const t = createStreamTranslator(from, to, { model: undefined, requestId: 'req_golden', ...extra });
  let out = '';
  for (const c of chunks(Buffer.from(input), size)) out += t.push(c);
  out += t.end();
  return { out, t };
}

/** A stream body that arrives in 7-byte pieces, as a network would deliver it. */
function trickle(text: string): ReadableStream<Uint8Array> {
  const pieces = chunks(Buffer.from(text), 7);
  return new ReadableStream({
    pull(ctrl) {
      const p = pieces.shift();
      if (p) ctrl.enqueue(new Uint8Array(p));
      else ctrl.close();
    },
  });
}

async function sdkFinalMessage(sse: string) {
  const client = new Anthropic({
    apiKey: 'x',
    baseURL: 'http://fake',
    maxRetries: 0,
    fetch: async () => new Response(trickle(sse), { headers: { 'content-type': 'text/event-stream' } }),
  });
  return client.messages.stream({ model: 'claude-test', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
}

describe('translate: streams', () => {
  describe('golden fixtures, every pair, fed in 7-byte chunks', () => {
    for (const [from, to] of PAIRS) {
      for (const kind of KINDS) {
        it(`${from} → ${to}: ${kind === 'tool' ? 'text + tool call' : 'thinking + text'}`, () => {
          const input = fixture(`streams/${from}.${kind}.sse`);
          const { out, t } = translate(from, to, input, 7);
          golden(`streams/${from}--${to}.${kind}.sse`, out);
          // Chunk boundaries change nothing: byte by byte (splitting ✨) and whole give the same bytes.
          expect(stableText(translate(from, to, input, 1).out)).to.equal(stableText(out));
          expect(stableText(translate(from, to, input, input.length).out)).to.equal(stableText(out));
          // The client reads a well-formed stream of its format that says what the provider said.
          const provider = fixtureJson(`responses/${from}.${kind}.json`);
          expect(essence(to, collect(to, out))).to.deep.equal(essence(from, provider));
          expect(t.error()).to.equal(undefined);
          expect(t.stopReason()).to.equal(kind === 'tool' ? 'tool_use' : 'end_turn');
          const u = essence(from, provider).usage!;
          const got = t.usage()!;
          expect({ prompt: got.inputTokens + got.cacheReadTokens + got.cacheCreationTokens, cacheRead: got.cacheReadTokens, output: got.outputTokens }).to.deep.equal(u);
        });
      }
    }
  });

  it('provider fixtures are self-consistent (each stream says what its JSON says)', () => {
    for (const f of FORMATS) {
      for (const kind of KINDS) {
        const streamed = collect(f, fixture(`streams/${f}.${kind}.sse`));
        expect(essence(f, streamed), `${f} ${kind}`).to.deep.equal(essence(f, fixtureJson(`responses/${f}.${kind}.json`)));
      }
    }
  });

  describe('the official Anthropic SDK accumulates the translated stream', () => {
    for (const from of FORMATS.filter((f) => f !== 'anthropic-messages')) {
      for (const kind of KINDS) {
        it(`from ${from}: ${kind}`, async () => {
          const { out } = translate(from, 'anthropic-messages', fixture(`streams/${from}.${kind}.sse`), 7, { model: 'claude-test' });
          const msg = await sdkFinalMessage(out);
          expect(msg.model).to.equal('claude-test');
          const want = essence(from, fixtureJson(`responses/${from}.${kind}.json`));
          expect(msg.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('')).to.equal(want.text);
          expect(msg.content.flatMap((c) => (c.type === 'thinking' ? [c.thinking] : [])).join('')).to.equal(want.thinking);
          expect(msg.content.flatMap((c) => (c.type === 'tool_use' ? [{ name: c.name, input: c.input }] : []))).to.deep.equal(want.calls);
          expect(msg.stop_reason).to.equal(kind === 'tool' ? 'tool_use' : 'end_turn');
          expect(msg.usage.output_tokens).to.equal(want.usage!.output);
          expect(msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0)).to.equal(want.usage!.prompt);
        });
      }
    }
  });

  describe('a provider stream cut short ends the client stream with an error in its format', () => {
    for (const [from, to] of PAIRS) {
      it(`${from} → ${to}`, async () => {
        const input = fixture(`streams/${from}.text.sse`);
        const events = input.split('\n\n');
        // Gemini has no terminal event, so cutting it after its first chunk looks like an unfinished answer only if no finishReason came.
        const cut = `${events.slice(0, Math.ceil(events.length / 2)).join('\n\n')}\n\n`;
        const { out, t } = translate(from, to, cut, 7);
        expect(t.error()).to.be.a('string');
        const last = parseSse(out).at(-1)!;
        const data = JSON.parse(last.data) as J;
        if (to === 'anthropic-messages') {
          expect(last.event).to.equal('error');
          expect(data.error.type).to.equal('api_error');
          await sdkFinalMessage(out).then(
            () => expect.fail('the SDK should report the error'),
            (e: Error) => expect(e.message).to.include('ended before'),
          );
        } else if (to === 'openai-responses') {
          expect(last.event).to.equal('response.failed');
          expect(data.response.status).to.equal('failed');
        } else expect(data.error.message).to.include('ended before');
      });
    }
  });

  it('passes an in-stream provider error to the client in its format', () => {
    const input = fixture('streams/anthropic-messages.text.sse').split('\n\n').slice(0, 4).join('\n\n') + '\n\nevent: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n';
    const chat = translate('anthropic-messages', 'openai-chat', input, 7);
    const last = JSON.parse(parseSse(chat.out).at(-1)!.data) as J;
    expect(last.error).to.deep.include({ message: 'Overloaded', type: 'server_error', code: 'service_unavailable' });
    expect(chat.t.error()).to.equal('Overloaded');
    const gem = translate('anthropic-messages', 'gemini', input, 7);
    expect(JSON.parse(parseSse(gem.out).at(-1)!.data)).to.deep.equal({ error: { code: 503, message: 'Overloaded', status: 'UNAVAILABLE' } });
    const resp = translate('anthropic-messages', 'openai-responses', input, 7);
    const failed = JSON.parse(parseSse(resp.out).at(-1)!.data) as J;
    expect(failed.type).to.equal('response.failed');
    expect(failed.response.error.message).to.equal('Overloaded');
    // Gemini's error chunk and a Responses failure travel the other way too.
    const g = translate('gemini', 'anthropic-messages', 'data: {"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}\n\n', 7);
    expect(JSON.parse(parseSse(g.out).at(-1)!.data)).to.deep.equal({ type: 'error', error: { type: 'rate_limit_error', message: 'Quota exceeded' } });
    const rf = 'event: response.failed\ndata: {"type":"response.failed","sequence_number":0,"response":{"id":"resp_1","status":"failed","error":{"code":"server_error","message":"boom"},"output":[]}}\n\n';
    const r = translate('openai-responses', 'openai-chat', rf, 7);
    expect(JSON.parse(parseSse(r.out).at(-1)!.data).error.message).to.equal('boom');
  });

  it('streams parallel Chat tool calls as separate blocks and Gemini calls', () => {
    const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1' };
    const c = (delta: J, finish: string | null = null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const input =
      c({ role: 'assistant', content: null }) +
      c({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'read_file', arguments: '' } }] }) +
      c({ tool_calls: [{ index: 0, function: { arguments: '{"path":"a"}' } }] }) +
      c({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'read_file', arguments: '{"pa' } }] }) +
      c({ tool_calls: [{ index: 1, function: { arguments: 'th":"b"}' } }] }) +
      c({}, 'tool_calls') +
      'data: [DONE]\n\n';
    const a = collectAnthropic(translate('openai-chat', 'anthropic-messages', input, 5).out);
    expect(a.content).to.deep.equal([
      { type: 'tool_use', id: 'call_a', name: 'read_file', input: { path: 'a' } },
      { type: 'tool_use', id: 'call_b', name: 'read_file', input: { path: 'b' } },
    ]);
    const g = parseSse(translate('openai-chat', 'gemini', input, 5).out).map((e) => JSON.parse(e.data) as J);
    expect(g.map((x) => x.candidates[0].content.parts[0].functionCall?.args)).to.deep.equal([{ path: 'a' }, { path: 'b' }, undefined]);
    expect(g.at(-1)!.candidates[0].finishReason).to.equal('STOP');
  });

  it('gives Gemini calls in one stream distinct ids for a Chat client', () => {
    const chunk = { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: 'ls', args: {} } }, { functionCall: { name: 'ls', args: { d: 'x' } } }] }, finishReason: 'STOP' }] };
    const chat = collectChat(translate('gemini', 'openai-chat', `data: ${JSON.stringify(chunk)}\n\n`, 9).out);
    const calls = chat.choices[0].message.tool_calls as J[];
    expect(calls.map((x) => x.function.arguments)).to.deep.equal(['{}', '{"d":"x"}']);
    expect(calls[0].id).to.not.equal(calls[1].id);
    expect(chat.choices[0].finish_reason).to.equal('tool_calls');
  });

  it('answers Gemini clients without alt=sse with a streamed JSON array', () => {
    const { out } = translate('openai-chat', 'gemini', fixture('streams/openai-chat.text.sse'), 7, { geminiArray: true });
    expect(out.startsWith('[{')).to.equal(true);
    const arr = JSON.parse(out) as J[];
    expect(arr.map((x) => x.candidates[0].content.parts[0].text).join('')).to.equal(essence('openai-chat', fixtureJson('responses/openai-chat.text.json')).text);
    expect(arr.at(-1)!.candidates[0].finishReason).to.equal('STOP');
  });

  it('wraps and unwraps Gemini Code Assist envelopes ({ response })', () => {
    const { out } = translate('openai-chat', 'gemini', fixture('streams/openai-chat.tool.sse'), 7, { codeAssist: true });
    const chunksOut = parseSse(out).map((e) => JSON.parse(e.data) as J);
    for (const c of chunksOut) expect(Object.keys(c)).to.deep.equal(['response']);
    const unwrapped = chunksOut.map((c) => `data: ${JSON.stringify(c.response)}\n\n`).join('');
    expect(essence('gemini', collect('gemini', unwrapped))).to.deep.equal(essence('openai-chat', fixtureJson('responses/openai-chat.tool.json')));
    // A Code Assist provider's stream reads the same as the Gemini API's.
    const wrapped = fixture('streams/gemini.text.sse')
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => `data: {"response":${e.slice(6)},"traceId":"t1"}\n\n`)
      .join('');
    const a = translate('gemini', 'anthropic-messages', wrapped, 7);
    expect(essence('anthropic-messages', collectAnthropic(a.out))).to.deep.equal(essence('gemini', fixtureJson('responses/gemini.text.json')));
  });

  it('leaves out the Chat usage chunk when the client did not ask for it', () => {
    const { out } = translate('anthropic-messages', 'openai-chat', fixture('streams/anthropic-messages.tool.sse'), 7, { includeUsage: false });
    expect(out).to.not.include('"usage"');
    expect(out.endsWith('data: [DONE]\n\n')).to.equal(true);
  });

  it('refuses to translate a stream into its own format', () => {
    expect(() => createStreamTranslator('gemini', 'gemini', { model: undefined, requestId: 'x' })).to.throw(/same format/);
  });
});
