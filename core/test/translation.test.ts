import { expect } from 'chai';
import Anthropic from '@anthropic-ai/sdk';
import { createMockUpstream, createTestGateway, parseSse, waitForRequestLog, type MockUpstream, type TestGateway } from '../src/testing/index.ts';

const KEY = 'hub_sk_TranslateKey00000000000000000000000001';

/** One hub per provider type, each the only provider, accepting translation. */
async function hubWith(mock: MockUpstream, type: string, extra = 'acceptsTranslation: true'): Promise<TestGateway> {
  return createTestGateway({
    yaml: `
plugins: [{ name: auth }, { name: provider-claude }, { name: provider-openai }, { name: provider-codex }, { name: provider-gemini }, { name: accounting, options: { flushIntervalMs: 20 } }]
providers:
  - { name: only, type: ${type}, url: ${mock.url}, key: upstream-key, ${extra} }
users:
  - name: t
    keys: [{ name: k, key: ${KEY} }]
`,
  });
}

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY, ...headers }, body: JSON.stringify(body) });

describe('translation through the hub', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  const hubs: TestGateway[] = [];
  before(async () => {
    mock = await createMockUpstream({ text: 'translated hello', usage: { input: 30, output: 9 } });
  });
  after(async () => {
    await Promise.all(hubs.map((h) => h.close()));
    await mock.close();
  });
  beforeEach(() => mock.reset());
  const hub = async (type: string, extra?: string) => {
    const h = await hubWith(mock, type, extra);
    hubs.push(h);
    return h;
  };

  it('Anthropic SDK → OpenAI-compatible provider: JSON and stream, usage logged', async () => {
    const h = await hub('openai');
    const client = new Anthropic({ baseURL: h.url, apiKey: KEY, maxRetries: 0 });
    const msg = await client.messages.create({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect(msg.content[0]).to.deep.include({ type: 'text', text: 'translated hello' });
    expect(mock.lastRequest()!.path).to.match(/\/chat\/completions$/);
    const stream = client.messages.stream({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    const final = await stream.finalMessage();
    expect(final.content.map((c) => (c.type === 'text' ? c.text : '')).join('')).to.equal('translated hello');
    expect(final.usage.output_tokens).to.equal(9);
    const { response } = await client.messages.create({ model: 'gpt-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const row = await waitForRequestLog(h, response.headers.get('x-cch-request-id')!);
    expect(row).to.include({ clientFormat: 'anthropic-messages', providerFormat: 'openai-chat', inputTokens: 30, outputTokens: 9 });
  });

  it('Anthropic client → OpenAI provider: a two-turn tool loop keeps tool ids consistent', async () => {
    const h = await hub('openai');
    const tools = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } }, required: ['path'] } }];
    const client = new Anthropic({ baseURL: h.url, apiKey: KEY, maxRetries: 0 });
    const first = await client.messages.stream({ model: 'gpt-5', max_tokens: 50, tools, messages: [{ role: 'user', content: 'use a tool please' }] }).finalMessage();
    const call = first.content.find((c) => c.type === 'tool_use');
    expect(call, JSON.stringify(first.content)).to.not.equal(undefined);
    expect(first.stop_reason).to.equal('tool_use');
    if (call?.type !== 'tool_use') throw new Error('no tool call');
    expect(call.input).to.deep.equal({ path: 'README.md' });
    const second = await client.messages.create({
      model: 'gpt-5',
      max_tokens: 50,
      tools,
      messages: [
        { role: 'user', content: 'use a tool please' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'file contents' }] },
      ],
    });
    expect(second.stop_reason).to.equal('end_turn');
    const sent = mock.lastRequest()!.json as { messages: { role: string; tool_call_id?: string; tool_calls?: { id: string }[] }[] };
    const assistant = sent.messages.find((m) => m.role === 'assistant')!;
    const tool = sent.messages.find((m) => m.role === 'tool')!;
    expect(tool.tool_call_id).to.equal(assistant.tool_calls![0]!.id);
  });

  it('OpenAI Chat client (stream) → Gemini provider: chunks end with [DONE]', async () => {
    const h = await hub('gemini');
    const res = await post(h.url, '/v1/chat/completions', { model: 'gemini-2.5-flash', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${KEY}`, 'x-api-key': '' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.at(-1)!.data).to.equal('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as { choices: { delta?: { content?: string } }[]; usage?: { completion_tokens: number } });
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).to.equal('translated hello');
    expect(chunks.some((c) => c.usage?.completion_tokens === 9)).to.equal(true);
    expect(mock.lastRequest()!.path).to.match(/models\/gemini-2\.5-flash:streamGenerateContent\?alt=sse$/);
  });

  it('Responses client (Codex) → Claude provider: stream ends with response.completed', async () => {
    const h = await hub('claude');
    const res = await post(h.url, '/v1/responses', { model: 'claude-sonnet-4-6', stream: true, input: 'hi' });
    const events = parseSse(await res.text());
    const types = events.map((e) => (JSON.parse(e.data) as { type: string }).type);
    expect(types[0]).to.equal('response.created');
    expect(types.at(-1)).to.equal('response.completed');
    expect(types).to.include('response.output_text.delta');
    expect(mock.lastRequest()!.path).to.match(/\/v1\/messages$/);
  });

  it('Gemini client → OpenAI provider: generateContent answered in Gemini shape', async () => {
    const h = await hub('openai');
    const res = await post(h.url, '/v1beta/models/gpt-5:generateContent', { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }, { 'x-goog-api-key': KEY, 'x-api-key': '' });
    expect(res.status).to.equal(200);
    const j = (await res.json()) as { candidates: { content: { parts: { text: string }[] } }[]; usageMetadata: { candidatesTokenCount: number } };
    expect(j.candidates[0]!.content.parts[0]!.text).to.equal('translated hello');
    expect((mock.lastRequest()!.json as { model: string }).model).to.equal('gpt-5');
  });

  it('upstream errors come back in the client format', async () => {
    const h = await hub('openai');
    mock.fail({ status: 400, body: { error: { message: 'bad thing', type: 'invalid_request_error', code: null } } });
    const res = await post(h.url, '/v1/messages', { model: 'gpt-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).to.equal(400);
    const j = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(j.type).to.equal('error');
    expect(j.error.message).to.include('bad thing');
  });

  it('a provider that does not accept translation is not used for another format', async () => {
    const h = await hub('openai', 'acceptsTranslation: false');
    const res = await post(h.url, '/v1/messages', { model: 'gpt-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).to.equal(404);
    expect(mock.requests).to.have.length(0);
  });

  it('count_tokens is not translated', async () => {
    const h = await hub('openai');
    const res = await post(h.url, '/v1/messages/count_tokens', { model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.status).to.equal(404);
    expect(((await res.json()) as { type: string }).type).to.equal('error');
  });
});
