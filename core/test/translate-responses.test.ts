import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { translateResponse } from '../src/formats/translate/index.ts';
import { FORMATS, KINDS, PAIRS, essence, fixtureJson, golden, json } from './fixtures/translate/helpers.ts';

type J = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An Anthropic SDK client whose every request is answered with `body`. */
function sdkAnswering(body: string, contentType: string): Anthropic {
  return new Anthropic({ apiKey: 'x', baseURL: 'http://fake', maxRetries: 0, fetch: async () => new Response(body, { headers: { 'content-type': contentType } }) });
}

describe('translate: responses (non-streamed)', () => {
  describe('golden fixtures, every pair', () => {
    for (const [from, to] of PAIRS) {
      for (const kind of KINDS) {
        it(`${from} → ${to}: ${kind === 'tool' ? 'text + tool call' : 'thinking + text'}`, () => {
          const provider = fixtureJson(`responses/${from}.${kind}.json`);
          const out = translateResponse(from, to, provider, { model: undefined, requestId: 'req_golden' });
          golden(`responses/${from}--${to}.${kind}.json`, json(out));
          expect(essence(to, out)).to.deep.equal(essence(from, provider));
        });
      }
    }
  });

  it('fixtures mean what they say: tool turns stop for tools, text turns end', () => {
    for (const f of FORMATS) {
      expect(essence(f, fixtureJson(`responses/${f}.tool.json`))).to.deep.include({ stopReason: 'tool_use', calls: [{ name: 'read_file', input: { path: 'README.md' } }] });
      expect(essence(f, fixtureJson(`responses/${f}.text.json`)).stopReason).to.equal('end_turn');
    }
  });

  it('shows the client the model it asked for when given one', () => {
    const out = translateResponse('openai-chat', 'anthropic-messages', fixtureJson('responses/openai-chat.text.json'), { model: 'claude-sonnet-4-5', requestId: 'r' });
    expect(out.model).to.equal('claude-sonnet-4-5');
    const g = translateResponse('anthropic-messages', 'gemini', fixtureJson('responses/anthropic-messages.text.json'), { model: undefined, requestId: 'r' });
    expect(g.modelVersion).to.equal('claude-sonnet-4-5-20250929');
  });

  it('renders usage in each client format from the same counts', () => {
    const src = fixtureJson('responses/gemini.text.json'); // prompt 1120 (1024 cached), 58 visible + 64 thinking
    const a = translateResponse('gemini', 'anthropic-messages', src, { model: undefined, requestId: 'r' });
    expect(a.usage).to.deep.equal({ input_tokens: 96, cache_creation_input_tokens: 0, cache_read_input_tokens: 1024, output_tokens: 122 });
    const c = translateResponse('gemini', 'openai-chat', src, { model: undefined, requestId: 'r' });
    expect(c.usage).to.deep.equal({ prompt_tokens: 1120, completion_tokens: 122, total_tokens: 1242, prompt_tokens_details: { cached_tokens: 1024 }, completion_tokens_details: { reasoning_tokens: 64 } });
    const r = translateResponse('gemini', 'openai-responses', src, { model: undefined, requestId: 'r' });
    expect(r.usage).to.deep.equal({ input_tokens: 1120, input_tokens_details: { cached_tokens: 1024 }, output_tokens: 122, output_tokens_details: { reasoning_tokens: 64 }, total_tokens: 1242 });
    const g = translateResponse('anthropic-messages', 'gemini', fixtureJson('responses/anthropic-messages.text.json'), { model: undefined, requestId: 'r' });
    expect(g.usageMetadata).to.deep.equal({ promptTokenCount: 1120, candidatesTokenCount: 58, totalTokenCount: 1178, cachedContentTokenCount: 1024 });
  });

  it('maps stop reasons: max tokens, content filter', () => {
    const long = { ...fixtureJson('responses/openai-chat.text.json') };
    (long.choices as J[])[0]!.finish_reason = 'length';
    expect(translateResponse('openai-chat', 'anthropic-messages', long, { model: undefined }).stop_reason).to.equal('max_tokens');
    expect(translateResponse('openai-chat', 'gemini', long, { model: undefined }).candidates).to.have.nested.property('[0].finishReason', 'MAX_TOKENS');
    const r = translateResponse('openai-chat', 'openai-responses', long, { model: undefined });
    expect(r).to.deep.include({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    const blocked = { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 } };
    expect(translateResponse('gemini', 'openai-chat', blocked, { model: undefined }).choices).to.have.nested.property('[0].finish_reason', 'content_filter');
    const refusal = { ...fixtureJson('responses/anthropic-messages.text.json'), stop_reason: 'refusal' };
    expect(translateResponse('anthropic-messages', 'openai-chat', refusal, { model: undefined }).choices).to.have.nested.property('[0].finish_reason', 'content_filter');
  });

  it('wraps answers for Gemini Code Assist clients and unwraps Code Assist providers', () => {
    const out = translateResponse('anthropic-messages', 'gemini', fixtureJson('responses/anthropic-messages.tool.json'), { model: undefined, requestId: 'r', codeAssist: true });
    expect(Object.keys(out)).to.deep.equal(['response']);
    expect(essence('gemini', out.response)).to.deep.equal(essence('anthropic-messages', fixtureJson('responses/anthropic-messages.tool.json')));
    const wrapped = { response: fixtureJson('responses/gemini.tool.json'), traceId: 't' };
    const chat = translateResponse('gemini', 'openai-chat', wrapped, { model: undefined, requestId: 'r' });
    expect(essence('openai-chat', chat)).to.deep.equal(essence('gemini', fixtureJson('responses/gemini.tool.json')));
  });

  it('gives Gemini function calls ids unique to the exchange', () => {
    const two = fixtureJson('responses/gemini.tool.json');
    const parts = (two.candidates as J[])[0].content.parts as J[];
    parts.push({ functionCall: { name: 'read_file', args: { path: 'b' } } });
    const a = translateResponse('gemini', 'anthropic-messages', two, { model: undefined, requestId: 'ex-1' });
    const b = translateResponse('gemini', 'anthropic-messages', two, { model: undefined, requestId: 'ex-2' });
    const ids = (x: J) => (x.content as J[]).filter((c) => c.type === 'tool_use').map((c) => c.id as string);
    expect(new Set(ids(a)).size).to.equal(2);
    expect(ids(a)).to.not.deep.equal(ids(b));
    expect(ids(a)).to.deep.equal(ids(translateResponse('gemini', 'anthropic-messages', two, { model: undefined, requestId: 'ex-1' })));
    for (const id of ids(a)) expect(id).to.match(/^[a-zA-Z0-9_-]+$/);
  });

  describe('the official Anthropic SDK reads the translated bodies', () => {
    for (const from of FORMATS.filter((f) => f !== 'anthropic-messages')) {
      it(`from ${from}`, async () => {
        const out = translateResponse(from, 'anthropic-messages', fixtureJson(`responses/${from}.tool.json`), { model: 'claude-test', requestId: 'sdk' });
        const msg = await sdkAnswering(JSON.stringify(out), 'application/json').messages.create({ model: 'claude-test', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
        expect(msg.stop_reason).to.equal('tool_use');
        const tool = msg.content.find((c) => c.type === 'tool_use');
        expect(tool).to.deep.include({ name: 'read_file', input: { path: 'README.md' } });
        expect(msg.usage.input_tokens).to.equal(512);
      });
    }
  });
});

export { sdkAnswering };
