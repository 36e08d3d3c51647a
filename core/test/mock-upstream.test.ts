import { expect } from 'chai';
import { gzipSync } from 'node:zlib';
import { type MockUpstream, createMockUpstream } from '../src/testing/mock-upstream.ts';
import { type SseEvent, parseSse } from '../src/testing/sse.ts';

type Json = Record<string, any>;

const ANTHROPIC_BODY = { model: 'claude-test-1', max_tokens: 100, messages: [{ role: 'user', content: 'Hi there' }] };
const CHAT_BODY = { model: 'gpt-test', messages: [{ role: 'user', content: 'Hi there' }] };
const RESPONSES_BODY = { model: 'gpt-test', input: 'Hi there' };
const GEMINI_BODY = { contents: [{ role: 'user', parts: [{ text: 'Hi there' }] }] };
const CA_BODY = { model: 'gemini-2.5-pro', project: 'p1', request: GEMINI_BODY };
const READ_TOOL = { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } };

function post(mock: MockUpstream, path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(mock.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal,
  });
}

async function events(res: Response): Promise<SseEvent[]> {
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
  return parseSse(await res.text());
}

const data = (evs: SseEvent[]): Json[] => evs.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as Json);

/** Read a body until it ends, errors, or stalls for `stallMs`; report which and what arrived. */
async function drain(res: Response, stallMs = 300): Promise<{ text: string; outcome: 'end' | 'error' | 'stall' }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stall = new Promise<'stall'>((r) => (timer = setTimeout(() => r('stall'), stallMs)));
    try {
      const r = await Promise.race([reader.read(), stall]);
      if (r === 'stall') {
        await reader.cancel().catch(() => {});
        return { text, outcome: 'stall' };
      }
      if (r.done) return { text, outcome: 'end' };
      text += dec.decode(r.value, { stream: true });
    } catch {
      return { text, outcome: 'error' };
    } finally {
      clearTimeout(timer);
    }
  }
}

describe('mock upstream', () => {
  let mock: MockUpstream;
  before(async () => {
    mock = await createMockUpstream();
  });
  after(() => mock.close());
  beforeEach(() => mock.reset());

  it('listens on 127.0.0.1 with a free port and records requests', async () => {
    expect(mock.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(mock.port).to.be.greaterThan(0);
    const res = await post(mock, '/v1/messages?beta=true', ANTHROPIC_BODY, { 'x-api-key': 'client-key', 'x-extra': 'yes' });
    expect(res.status).to.equal(200);
    expect(mock.requests).to.have.length(1);
    const r = mock.requests[0]!;
    expect(r.method).to.equal('POST');
    expect(r.path).to.equal('/v1/messages?beta=true');
    expect(r.api).to.equal('anthropic');
    expect(r.headers['x-api-key']).to.equal('client-key');
    expect(r.headers['x-extra']).to.equal('yes');
    expect(Buffer.isBuffer(r.body)).to.equal(true);
    expect(r.body.toString()).to.equal(JSON.stringify(ANTHROPIC_BODY));
    expect(r.json).to.deep.equal(ANTHROPIC_BODY);
    expect(mock.lastRequest()).to.equal(r);
    mock.reset();
    expect(mock.requests).to.have.length(0);
    expect(mock.requestCount).to.equal(1);
  });

  describe('Anthropic Messages', () => {
    it('answers JSON with the requested model, the text and full usage', async () => {
      const res = await post(mock, '/v1/messages', ANTHROPIC_BODY, { 'x-api-key': 'k' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('request-id')).to.match(/^req_/);
      const body = (await res.json()) as Json;
      expect(body).to.include({ type: 'message', role: 'assistant', model: 'claude-test-1', stop_reason: 'end_turn' });
      expect(body.content).to.deep.equal([{ type: 'text', text: 'Hello from mock' }]);
      expect(body.usage).to.deep.include({ input_tokens: 12, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
      expect(body.usage.cache_creation).to.deep.equal({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 });
    });

    it('streams the exact event sequence', async () => {
      const evs = await events(await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, stream: true }));
      expect(evs.map((e) => e.event)).to.deep.equal([
        'message_start',
        'content_block_start',
        'ping',
        ...Array(5).fill('content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      const d = data(evs);
      d.forEach((x, i) => expect(x.type).to.equal(evs[i]!.event));
      expect(d[0]!.message.model).to.equal('claude-test-1');
      expect(d[0]!.message.usage.input_tokens).to.equal(12);
      const text = d.filter((x) => x.type === 'content_block_delta').map((x) => x.delta.text as string);
      expect(text.join('')).to.equal('Hello from mock');
      expect(d.filter((x) => x.type === 'content_block_delta').every((x) => x.delta.type === 'text_delta')).to.equal(true);
      expect(d.at(-2)).to.deep.equal({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } });
    });

    it('streams thinking with thinking_delta and signature_delta before the text', async () => {
      const body = { ...ANTHROPIC_BODY, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 } };
      const d = data(await events(await post(mock, '/v1/messages', body)));
      expect(d[1]!.content_block).to.deep.equal({ type: 'thinking', thinking: '', signature: '' });
      const deltas = d.filter((x) => x.type === 'content_block_delta');
      const thinking = deltas.filter((x) => x.delta.type === 'thinking_delta').map((x) => x.delta.thinking as string);
      expect(thinking.join('')).to.equal('Let me think.');
      expect(deltas.some((x) => x.index === 0 && x.delta.type === 'signature_delta' && x.delta.signature.length > 0)).to.equal(true);
      expect(deltas.filter((x) => x.delta.type === 'text_delta').every((x) => x.index === 1)).to.equal(true);
    });

    it('calls the first tool with streamed input_json_delta when asked for a tool', async () => {
      const body = { ...ANTHROPIC_BODY, stream: true, tools: [READ_TOOL, { ...READ_TOOL, name: 'other' }], messages: [{ role: 'user', content: 'Use a tool please' }] };
      const d = data(await events(await post(mock, '/v1/messages', body)));
      expect(d[1]!.content_block).to.include({ type: 'tool_use', name: 'read_file' });
      expect(d[1]!.content_block.id).to.match(/^toolu_/);
      const json = d.filter((x) => x.delta?.type === 'input_json_delta').map((x) => x.delta.partial_json as string);
      expect(json.length).to.be.greaterThan(1);
      expect(JSON.parse(json.join(''))).to.deep.equal({ path: 'README.md' });
      expect(d.find((x) => x.type === 'message_delta')!.delta.stop_reason).to.equal('tool_use');
    });

    it('answers with text once the conversation holds a tool result', async () => {
      const body = {
        ...ANTHROPIC_BODY,
        tools: [READ_TOOL],
        messages: [
          { role: 'user', content: 'Use a tool' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'read_file', input: { path: 'README.md' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'file text' }] },
        ],
      };
      const res = (await (await post(mock, '/v1/messages', body)).json()) as Json;
      expect(res.content).to.deep.equal([{ type: 'text', text: 'Hello from mock' }]);
      expect(res.stop_reason).to.equal('end_turn');
    });

    it('does not call a tool without tools or without the word', async () => {
      const noTools = (await (await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, messages: [{ role: 'user', content: 'tool' }] })).json()) as Json;
      expect(noTools.content[0].type).to.equal('text');
      const noWord = (await (await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, tools: [READ_TOOL] })).json()) as Json;
      expect(noWord.content[0].type).to.equal('text');
    });

    it('counts tokens', async () => {
      const res = await post(mock, '/v1/messages/count_tokens', { model: 'claude-test-1', messages: ANTHROPIC_BODY.messages });
      expect(await res.json()).to.deep.equal({ input_tokens: 12 });
    });

    it('accepts paths without the /v1 prefix', async () => {
      const res = await post(mock, '/messages', ANTHROPIC_BODY);
      expect(res.status).to.equal(200);
      expect(((await res.json()) as Json).model).to.equal('claude-test-1');
    });

    it('rejects malformed JSON and missing fields with 400 in Anthropic shape', async () => {
      const bad = await post(mock, '/v1/messages', '{"model": ', { 'anthropic-version': '2023-06-01' });
      expect(bad.status).to.equal(400);
      const body = (await bad.json()) as Json;
      expect(body.type).to.equal('error');
      expect(body.error.type).to.equal('invalid_request_error');
      const missing = await post(mock, '/v1/messages', { model: 'm', messages: [] });
      expect(missing.status).to.equal(400);
      expect(((await missing.json()) as Json).error.message).to.match(/max_tokens/);
    });

    it('lists models in Anthropic shape when anthropic-version is sent', async () => {
      const res = await fetch(`${mock.url}/v1/models`, { headers: { 'anthropic-version': '2023-06-01' } });
      const body = (await res.json()) as Json;
      expect(body.data[0]).to.include({ type: 'model' });
      expect(body.has_more).to.equal(false);
    });
  });

  describe('OpenAI Chat Completions', () => {
    it('answers JSON with usage details', async () => {
      const res = await post(mock, '/v1/chat/completions', CHAT_BODY, { authorization: 'Bearer k' });
      expect(res.headers.get('x-request-id')).to.match(/^req_/);
      const body = (await res.json()) as Json;
      expect(body).to.include({ object: 'chat.completion', model: 'gpt-test' });
      expect(body.choices[0].message).to.include({ role: 'assistant', content: 'Hello from mock' });
      expect(body.choices[0].finish_reason).to.equal('stop');
      expect(body.usage).to.deep.include({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
      expect(body.usage.prompt_tokens_details.cached_tokens).to.equal(0);
      expect(body.usage.completion_tokens_details.reasoning_tokens).to.equal(0);
    });

    it('streams chunks ending with a usage chunk and [DONE] when include_usage is set', async () => {
      const evs = await events(await post(mock, '/v1/chat/completions', { ...CHAT_BODY, stream: true, stream_options: { include_usage: true } }));
      expect(evs.at(-1)!.data).to.equal('[DONE]');
      expect(evs.every((e) => e.event === undefined)).to.equal(true);
      const d = data(evs);
      expect(d.every((x) => x.object === 'chat.completion.chunk' && x.model === 'gpt-test')).to.equal(true);
      const last = d.at(-1)!;
      expect(last.choices).to.deep.equal([]);
      expect(last.usage).to.deep.include({ prompt_tokens: 12, completion_tokens: 5 });
      expect(d.slice(0, -1).every((x) => x.usage === null)).to.equal(true);
      expect(d.at(-2)!.choices[0].finish_reason).to.equal('stop');
      expect(d.map((x) => x.choices[0]?.delta?.content ?? '').join('')).to.equal('Hello from mock');
    });

    it('streams without a usage chunk when include_usage is not set', async () => {
      const d = data(await events(await post(mock, '/v1/chat/completions', { ...CHAT_BODY, stream: true })));
      expect(d.every((x) => x.usage === undefined && x.choices.length === 1)).to.equal(true);
    });

    it('streams tool_calls with arguments in pieces', async () => {
      const body = {
        ...CHAT_BODY,
        stream: true,
        tools: [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'call the tool' }] }],
      };
      const d = data(await events(await post(mock, '/v1/chat/completions', body)));
      const calls = d.flatMap((x) => (x.choices[0]?.delta?.tool_calls ?? []) as Json[]);
      expect(calls[0]).to.deep.include({ index: 0, type: 'function' });
      expect(calls[0]!.id).to.match(/^call_/);
      expect(calls[0]!.function.name).to.equal('read_file');
      expect(JSON.parse(calls.map((c) => c.function.arguments as string).join(''))).to.deep.equal({ path: 'README.md' });
      expect(d.at(-1)!.choices[0].finish_reason).to.equal('tool_calls');
    });

    it('answers with text after a tool message', async () => {
      const body = {
        ...CHAT_BODY,
        tools: [{ type: 'function', function: { name: 'read_file' } }],
        messages: [
          { role: 'user', content: 'use the tool' },
          { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{}' } }] },
          { role: 'tool', tool_call_id: 'c1', content: 'file text' },
        ],
      };
      const res = (await (await post(mock, '/v1/chat/completions', body)).json()) as Json;
      expect(res.choices[0].message.content).to.equal('Hello from mock');
    });

    it('lists models', async () => {
      const body = (await (await fetch(`${mock.url}/v1/models`)).json()) as Json;
      expect(body.object).to.equal('list');
      expect(body.data.map((m: Json) => m.id)).to.include('gpt-5');
      const one = (await (await fetch(`${mock.url}/v1/models/gpt-x`)).json()) as Json;
      expect(one).to.include({ id: 'gpt-x', object: 'model' });
    });

    it('rejects malformed JSON with 400 in OpenAI shape', async () => {
      const res = await post(mock, '/v1/chat/completions', 'not json');
      expect(res.status).to.equal(400);
      const body = (await res.json()) as Json;
      expect(body.error).to.include({ type: 'invalid_request_error', param: null });
    });

    it('decodes gzip request bodies', async () => {
      const res = await fetch(`${mock.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(CHAT_BODY)),
      });
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.json).to.deep.equal(CHAT_BODY);
    });
  });

  describe('OpenAI Responses', () => {
    it('answers JSON with a message item and usage details', async () => {
      const body = (await (await post(mock, '/v1/responses', RESPONSES_BODY)).json()) as Json;
      expect(body).to.include({ object: 'response', status: 'completed', model: 'gpt-test' });
      expect(body.output[0]).to.include({ type: 'message', role: 'assistant' });
      expect(body.output[0].content[0]).to.include({ type: 'output_text', text: 'Hello from mock' });
      expect(body.usage).to.deep.include({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
      expect(body.usage.input_tokens_details.cached_tokens).to.equal(0);
      expect(body.usage.output_tokens_details.reasoning_tokens).to.equal(0);
    });

    it('streams the event sequence with types and sequence numbers', async () => {
      const evs = await events(await post(mock, '/v1/responses', { ...RESPONSES_BODY, stream: true }));
      expect(evs.map((e) => e.event)).to.deep.equal([
        'response.created',
        'response.in_progress',
        'response.output_item.added',
        'response.content_part.added',
        ...Array(5).fill('response.output_text.delta'),
        'response.output_text.done',
        'response.content_part.done',
        'response.output_item.done',
        'response.completed',
      ]);
      const d = data(evs);
      d.forEach((x, i) => {
        expect(x.type).to.equal(evs[i]!.event);
        expect(x.sequence_number).to.equal(i);
      });
      expect(d.filter((x) => x.type === 'response.output_text.delta').map((x) => x.delta as string).join('')).to.equal('Hello from mock');
      const done = d.at(-1)!.response;
      expect(done.status).to.equal('completed');
      expect(done.usage.input_tokens_details.cached_tokens).to.equal(0);
      expect(done.usage.output_tokens_details.reasoning_tokens).to.equal(0);
      expect(done.output[0].content[0].text).to.equal('Hello from mock');
    });

    it('streams a function_call with argument deltas, then text after function_call_output', async () => {
      const tools = [{ type: 'web_search' }, { type: 'function', name: 'shell', parameters: { type: 'object' } }];
      const input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'run a tool' }] }];
      const d = data(await events(await post(mock, '/v1/responses', { model: 'gpt-test', stream: true, tools, input })));
      expect(d[2]!.item).to.include({ type: 'function_call', name: 'shell', arguments: '' });
      const args = d.filter((x) => x.type === 'response.function_call_arguments.delta').map((x) => x.delta as string);
      expect(JSON.parse(args.join(''))).to.deep.equal({ path: 'README.md' });
      expect(d.find((x) => x.type === 'response.function_call_arguments.done')!.arguments).to.equal('{"path":"README.md"}');
      const item = d.find((x) => x.type === 'response.output_item.done')!.item;
      expect(item).to.include({ type: 'function_call', status: 'completed', name: 'shell' });

      const followUp = [...input, item, { type: 'function_call_output', call_id: item.call_id, output: 'ok' }];
      const res = (await (await post(mock, '/v1/responses', { model: 'gpt-test', tools, input: followUp })).json()) as Json;
      expect(res.output[0].type).to.equal('message');
    });
  });

  describe('Gemini', () => {
    const path = '/v1beta/models/gemini-test:';

    it('answers generateContent with usageMetadata', async () => {
      const body = (await (await post(mock, `${path}generateContent`, GEMINI_BODY, { 'x-goog-api-key': 'k' })).json()) as Json;
      expect(body.modelVersion).to.equal('gemini-test');
      expect(body.candidates[0].content).to.deep.equal({ role: 'model', parts: [{ text: 'Hello from mock' }] });
      expect(body.candidates[0].finishReason).to.equal('STOP');
      expect(body.usageMetadata).to.deep.include({ promptTokenCount: 12, candidatesTokenCount: 5, cachedContentTokenCount: 0, thoughtsTokenCount: 0, totalTokenCount: 17 });
    });

    it('streams SSE with ?alt=sse', async () => {
      const evs = await events(await post(mock, `${path}streamGenerateContent?alt=sse`, GEMINI_BODY));
      const d = data(evs);
      expect(d).to.have.length(5);
      expect(d.map((x) => x.candidates[0].content.parts[0].text as string).join('')).to.equal('Hello from mock');
      expect(d.at(-1)!.usageMetadata.totalTokenCount).to.equal(17);
      expect(d.slice(0, -1).every((x) => x.usageMetadata === undefined)).to.equal(true);
    });

    it('streams an incrementally written JSON array without alt=sse', async () => {
      const res = await post(mock, `${path}streamGenerateContent`, GEMINI_BODY, { 'x-mock-fault': JSON.stringify({ chunkDelayMs: 40 }) });
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      const reader = res.body!.getReader();
      const first = new TextDecoder().decode((await reader.read()).value);
      expect(first.startsWith('[')).to.equal(true);
      expect(first).not.to.contain(']}]'); // the array is not closed yet
      let rest = '';
      for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
      const arr = JSON.parse(first + rest) as Json[];
      expect(arr).to.have.length(5);
      expect(arr.map((x) => x.candidates[0].content.parts[0].text as string).join('')).to.equal('Hello from mock');
    });

    it('calls a function, then answers with text after a functionResponse', async () => {
      const tools = [{ functionDeclarations: [{ name: 'read_file', parameters: { type: 'OBJECT' } }] }];
      const ask = { contents: [{ role: 'user', parts: [{ text: 'please use a tool' }] }], tools };
      const d = data(await events(await post(mock, `${path}streamGenerateContent?alt=sse`, ask)));
      expect(d.at(-1)!.candidates[0].content.parts[0]).to.deep.equal({ functionCall: { name: 'read_file', args: { path: 'README.md' } } });
      const answer = {
        contents: [...ask.contents, { role: 'model', parts: [{ functionCall: { name: 'read_file', args: {} } }] }, { role: 'user', parts: [{ functionResponse: { name: 'read_file', response: {} } }] }],
        tools,
      };
      const body = (await (await post(mock, `${path}generateContent`, answer)).json()) as Json;
      expect(body.candidates[0].content.parts[0].text).to.equal('Hello from mock');
    });

    it('answers JSON mode with a value matching the schema', async () => {
      const schema = { type: 'object', properties: { reasoning: { type: 'string' }, next_speaker: { type: 'string', enum: ['user', 'model'] } }, required: ['next_speaker'] };
      const body = { ...GEMINI_BODY, generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema } };
      const res = (await (await post(mock, `${path}generateContent`, body)).json()) as Json;
      expect(JSON.parse(res.candidates[0].content.parts[0].text)).to.deep.equal({ reasoning: 'Hello from mock', next_speaker: 'user' });
    });

    it('counts tokens and lists models', async () => {
      expect(((await (await post(mock, `${path}countTokens`, GEMINI_BODY)).json()) as Json).totalTokens).to.equal(12);
      const list = (await (await fetch(`${mock.url}/v1beta/models`)).json()) as Json;
      expect(list.models[0].name).to.match(/^models\//);
    });

    it('rejects malformed JSON with 400 in Google shape', async () => {
      const res = await post(mock, `${path}generateContent`, '{');
      expect(res.status).to.equal(400);
      expect(((await res.json()) as Json).error).to.include({ code: 400, status: 'INVALID_ARGUMENT' });
    });
  });

  describe('Gemini Code Assist', () => {
    it('answers loadCodeAssist and onboardUser', async () => {
      const load = (await (await post(mock, '/v1internal:loadCodeAssist', { metadata: {} })).json()) as Json;
      expect(load.currentTier.id).to.be.a('string');
      expect(load.cloudaicompanionProject).to.be.a('string');
      const onboard = (await (await post(mock, '/v1internal:onboardUser', { tierId: 'free-tier' })).json()) as Json;
      expect(onboard.done).to.equal(true);
      expect(onboard.response.cloudaicompanionProject.id).to.be.a('string');
    });

    it('wraps generateContent in { response }', async () => {
      const body = (await (await post(mock, '/v1internal:generateContent', CA_BODY)).json()) as Json;
      expect(body.response.candidates[0].content.parts[0].text).to.equal('Hello from mock');
      expect(body.response.modelVersion).to.equal('gemini-2.5-pro');
      expect(body.response.usageMetadata.promptTokenCount).to.equal(12);
    });

    it('streams wrapped SSE with ?alt=sse', async () => {
      const d = data(await events(await post(mock, '/v1internal:streamGenerateContent?alt=sse', CA_BODY)));
      expect(d.every((x) => x.response !== undefined)).to.equal(true);
      expect(d.map((x) => x.response.candidates[0].content.parts[0].text as string).join('')).to.equal('Hello from mock');
    });

    it('counts tokens and answers other methods with {}', async () => {
      const count = (await (await post(mock, '/v1internal:countTokens', { request: { model: 'models/gemini-2.5-pro', contents: [] } })).json()) as Json;
      expect(count.totalTokens).to.equal(12);
      for (const m of ['retrieveUserQuota', 'listExperiments']) {
        const res = await post(mock, `/v1internal:${m}`, { project: 'p1' });
        expect(res.status).to.equal(200);
        expect(await res.json()).to.deep.equal({});
      }
    });

    it('rejects a generateContent without request', async () => {
      const res = await post(mock, '/v1internal:generateContent', { model: 'm' });
      expect(res.status).to.equal(400);
      expect(((await res.json()) as Json).error.status).to.equal('INVALID_ARGUMENT');
    });
  });

  it('answers an unknown path with 404', async () => {
    const res = await post(mock, '/v1/nothing', {});
    expect(res.status).to.equal(404);
    expect(((await res.json()) as Json).error).to.be.an('object');
  });

  describe('faults', () => {
    it('replies with error statuses in each API shape, with extra headers', async () => {
      mock.setFaults([{ status: 529 }, { status: 429, headers: { 'retry-after': '7' } }, { status: 400 }, { status: 401 }, { status: 500 }]);
      const a = await post(mock, '/v1/messages', ANTHROPIC_BODY);
      expect(a.status).to.equal(529);
      expect(((await a.json()) as Json).error.type).to.equal('overloaded_error');
      const o = await post(mock, '/v1/chat/completions', CHAT_BODY);
      expect(o.status).to.equal(429);
      expect(o.headers.get('retry-after')).to.equal('7');
      expect(((await o.json()) as Json).error.code).to.equal('rate_limit_exceeded');
      const g = await post(mock, '/v1beta/models/g:generateContent', GEMINI_BODY);
      expect(g.status).to.equal(400);
      expect(((await g.json()) as Json).error.status).to.equal('INVALID_ARGUMENT');
      const c = await post(mock, '/v1internal:generateContent', CA_BODY);
      expect(c.status).to.equal(401);
      expect(((await c.json()) as Json).error.status).to.equal('UNAUTHENTICATED');
      const r = await post(mock, '/v1/responses', RESPONSES_BODY);
      expect(r.status).to.equal(500);
      expect(((await r.json()) as Json).error.type).to.equal('server_error');
      expect((await post(mock, '/v1/messages', ANTHROPIC_BODY)).status).to.equal(200);
      expect(mock.requests.map((x) => x.fault?.status)).to.deep.equal([529, 429, 400, 401, 500, undefined]);
    });

    it('fail() applies to the next N requests and honours a custom body and path filter', async () => {
      mock.fail({ status: 500, body: { custom: true } }, 2);
      mock.fail({ status: 429, path: 'count_tokens' });
      expect((await post(mock, '/v1/messages/count_tokens', { model: 'm', messages: [] })).status).to.equal(500);
      const second = await post(mock, '/v1/messages', ANTHROPIC_BODY);
      expect(await second.json()).to.deep.equal({ custom: true });
      expect((await post(mock, '/v1/messages', ANTHROPIC_BODY)).status).to.equal(200); // the 429 waits for its path
      expect((await post(mock, '/v1/messages/count_tokens', { model: 'm', messages: [] })).status).to.equal(429);
      expect((await post(mock, '/v1/messages/count_tokens', { model: 'm', messages: [] })).status).to.equal(200);
    });

    it('takes a fault from the x-mock-fault header, and rejects an invalid one', async () => {
      const res = await post(mock, '/v1/messages', ANTHROPIC_BODY, { 'x-mock-fault': '{"status":503}' });
      expect(res.status).to.equal(503);
      const bad = await post(mock, '/v1/messages', ANTHROPIC_BODY, { 'x-mock-fault': '{nope' });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as Json).error.message).to.match(/x-mock-fault/);
    });

    it('hangs before headers until the client gives up', async () => {
      mock.fail({ hang: 'before-headers' });
      const started = Date.now();
      const err = await post(mock, '/v1/messages', ANTHROPIC_BODY, {}, AbortSignal.timeout(200)).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(Error);
      expect((err as Error).name).to.equal('TimeoutError');
      expect(Date.now() - started).to.be.at.least(190);
      expect(mock.requests).to.have.length(1);
    });

    it('hangs mid-stream after n events', async () => {
      const res = await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, stream: true }, { 'x-mock-fault': JSON.stringify({ hang: 'mid-stream', afterEvents: 3 }) });
      expect(res.status).to.equal(200);
      const { text, outcome } = await drain(res);
      expect(outcome).to.equal('stall');
      expect(parseSse(text).map((e) => e.event)).to.deep.equal(['message_start', 'content_block_start', 'ping']);
    });

    it('hangs a JSON reply after half the body', async () => {
      mock.fail({ hang: 'mid-stream' });
      const res = await post(mock, '/v1/chat/completions', CHAT_BODY);
      expect(res.status).to.equal(200);
      const { text, outcome } = await drain(res);
      expect(outcome).to.equal('stall');
      expect(text.length).to.be.greaterThan(10);
      expect(() => JSON.parse(text)).to.throw();
    });

    it('resets the connection before headers', async () => {
      mock.fail({ reset: 'before-headers' });
      const err = await post(mock, '/v1/chat/completions', CHAT_BODY).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(TypeError);
      expect((await post(mock, '/v1/chat/completions', CHAT_BODY)).status).to.equal(200);
    });

    it('resets the connection mid-stream after n events', async () => {
      mock.fail({ reset: 'mid-stream', afterEvents: 2 });
      const res = await post(mock, '/v1/responses', { ...RESPONSES_BODY, stream: true });
      expect(res.status).to.equal(200);
      const { text, outcome } = await drain(res, 2000);
      expect(outcome).to.equal('error');
      expect(parseSse(text).map((e) => e.event)).to.deep.equal(['response.created', 'response.in_progress']);
    });

    it('sends the in-stream error event of each API', async () => {
      const fault = { 'x-mock-fault': JSON.stringify({ midStreamError: true, afterEvents: 2 }) };
      const a = await events(await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, stream: true }, fault));
      expect(a.map((e) => e.event)).to.deep.equal(['message_start', 'content_block_start', 'error']);
      expect(JSON.parse(a[2]!.data)).to.deep.include({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });

      const c = await events(await post(mock, '/v1/chat/completions', { ...CHAT_BODY, stream: true }, fault));
      expect(c).to.have.length(3);
      expect(JSON.parse(c[2]!.data).error.type).to.equal('server_error');
      expect(c.some((e) => e.data === '[DONE]')).to.equal(false);

      const r = await events(await post(mock, '/v1/responses', { ...RESPONSES_BODY, stream: true }, fault));
      expect(r[2]!.event).to.equal('error');
      expect(JSON.parse(r[2]!.data)).to.include({ type: 'error', sequence_number: 2 });

      const g = await events(await post(mock, '/v1beta/models/g:streamGenerateContent?alt=sse', GEMINI_BODY, fault));
      expect(JSON.parse(g[2]!.data).error.status).to.equal('UNAVAILABLE');

      const arr = JSON.parse(await (await post(mock, '/v1beta/models/g:streamGenerateContent', GEMINI_BODY, fault)).text()) as Json[];
      expect(arr).to.have.length(3);
      expect(arr[2]!.error.code).to.equal(503);
    });

    it('uses a custom in-stream error payload', async () => {
      mock.fail({ midStreamError: true, afterEvents: 1, body: { type: 'error', error: { type: 'api_error', message: 'boom' } } });
      const a = await events(await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, stream: true }));
      expect(JSON.parse(a[1]!.data).error.message).to.equal('boom');
    });

    it('delays before headers', async () => {
      mock.fail({ delayMs: 150 });
      const started = Date.now();
      expect((await post(mock, '/v1/messages', ANTHROPIC_BODY)).status).to.equal(200);
      expect(Date.now() - started).to.be.at.least(140);
    });

    it('delays between stream events', async () => {
      mock.fail({ chunkDelayMs: 30 });
      const started = Date.now();
      const evs = await events(await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, stream: true }));
      expect(evs).to.have.length(11);
      expect(Date.now() - started).to.be.at.least(10 * 30 - 10);
    });

    it('replies 200 with an empty body', async () => {
      mock.setFaults([{ emptyBody: true }, { emptyBody: true }]);
      const json = await post(mock, '/v1/messages', ANTHROPIC_BODY);
      expect(json.status).to.equal(200);
      expect(await json.text()).to.equal('');
      const stream = await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, stream: true });
      expect(stream.status).to.equal(200);
      expect(stream.headers.get('content-type')).to.match(/^text\/event-stream/);
      expect(await stream.text()).to.equal('');
    });

    it('reset() clears queued faults', async () => {
      mock.fail({ status: 500 }, 3);
      mock.reset();
      expect((await post(mock, '/v1/messages', ANTHROPIC_BODY)).status).to.equal(200);
    });
  });
});

describe('mock upstream options', () => {
  it('enforces expectKey in each API format', async () => {
    const mock = await createMockUpstream({ expectKey: 'provider-key' });
    try {
      const cases: [string, unknown, Record<string, string>, Record<string, string>][] = [
        ['/v1/messages', ANTHROPIC_BODY, { 'x-api-key': 'client-key' }, { 'x-api-key': 'provider-key' }],
        ['/v1/messages', ANTHROPIC_BODY, {}, { authorization: 'Bearer provider-key' }],
        ['/v1/chat/completions', CHAT_BODY, { authorization: 'Bearer client-key' }, { authorization: 'Bearer provider-key' }],
        ['/v1/responses', RESPONSES_BODY, {}, { authorization: 'Bearer provider-key' }],
        ['/v1beta/models/g:generateContent', GEMINI_BODY, { 'x-goog-api-key': 'client-key' }, { 'x-goog-api-key': 'provider-key' }],
        ['/v1beta/models/g:generateContent?key=provider-key', GEMINI_BODY, { 'x-goog-api-key': 'x' }, {}],
        ['/v1internal:generateContent', CA_BODY, { authorization: 'Bearer client-key' }, { authorization: 'Bearer provider-key' }],
      ];
      for (const [path, body, wrong, right] of cases) {
        const bad = await post(mock, path.replace('?key=provider-key', '?key=client-key'), body, wrong);
        expect(bad.status, path).to.equal(401);
        const err = (await bad.json()) as Json;
        if (path.includes('/messages')) expect(err.error.type).to.equal('authentication_error');
        else if (path.includes('gemini') || path.includes('v1beta') || path.includes('v1internal')) expect(err.error.status).to.equal('UNAUTHENTICATED');
        else expect(err.error.code).to.equal('invalid_api_key');
        expect((await post(mock, path, body, right)).status, path).to.equal(200);
      }
    } finally {
      await mock.close();
    }
  });

  it('uses the configured text, usage, events and toolCall', async () => {
    const mock = await createMockUpstream({ text: 'abcdefghij', events: 10, toolCall: true, usage: { input: 100, output: 7, cacheRead: 30, cacheCreation: 20, cacheCreation1h: 5, reasoning: 3 } });
    try {
      const a = (await (await post(mock, '/v1/messages', ANTHROPIC_BODY)).json()) as Json;
      expect(a.content[0].text).to.equal('abcdefghij');
      expect(a.usage).to.deep.include({ input_tokens: 100, output_tokens: 10, cache_read_input_tokens: 30, cache_creation_input_tokens: 20 });
      expect(a.usage.cache_creation).to.deep.equal({ ephemeral_5m_input_tokens: 15, ephemeral_1h_input_tokens: 5 });
      const o = (await (await post(mock, '/v1/chat/completions', CHAT_BODY)).json()) as Json;
      expect(o.usage).to.deep.include({ prompt_tokens: 130, completion_tokens: 10, total_tokens: 140 });
      expect(o.usage.prompt_tokens_details.cached_tokens).to.equal(30);
      expect(o.usage.completion_tokens_details.reasoning_tokens).to.equal(3);
      const g = (await (await post(mock, '/v1beta/models/g:generateContent', GEMINI_BODY)).json()) as Json;
      expect(g.usageMetadata).to.deep.include({ promptTokenCount: 130, candidatesTokenCount: 7, cachedContentTokenCount: 30, thoughtsTokenCount: 3, totalTokenCount: 140 });

      const deltas = data(await events(await post(mock, '/v1/chat/completions', { ...CHAT_BODY, stream: true }))).filter((x) => x.choices[0].delta.content);
      expect(deltas).to.have.length(10);

      // toolCall: true needs no magic word, only tools.
      const t = (await (await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, tools: [READ_TOOL] })).json()) as Json;
      expect(t.content[0]).to.deep.include({ type: 'tool_use', name: 'read_file', input: { path: 'README.md' } });
      expect(t.stop_reason).to.equal('tool_use');

      mock.settings.text = 'changed';
      const changed = (await (await post(mock, '/v1/responses', RESPONSES_BODY)).json()) as Json;
      expect(changed.output[0].content[0].text).to.equal('changed');
    } finally {
      await mock.close();
    }
  });

  it('does not record when record is false, but still counts', async () => {
    const mock = await createMockUpstream({ record: false });
    try {
      await post(mock, '/v1/messages', ANTHROPIC_BODY);
      expect(mock.requests).to.have.length(0);
      expect(mock.requestCount).to.equal(1);
    } finally {
      await mock.close();
    }
  });

  it('applies the mock-wide chunkDelayMs', async () => {
    const mock = await createMockUpstream({ chunkDelayMs: 25 });
    try {
      const started = Date.now();
      await events(await post(mock, '/v1beta/models/g:streamGenerateContent?alt=sse', GEMINI_BODY));
      expect(Date.now() - started).to.be.at.least(4 * 25 - 10);
    } finally {
      await mock.close();
    }
  });

  it('close() ends hanging requests promptly', async () => {
    const mock = await createMockUpstream();
    mock.fail({ hang: 'before-headers' });
    mock.fail({ hang: 'mid-stream', afterEvents: 1 });
    const pending = post(mock, '/v1/messages', ANTHROPIC_BODY).catch((e: unknown) => e);
    const midStream = await post(mock, '/v1/messages', { ...ANTHROPIC_BODY, stream: true });
    const body = midStream.text().catch((e: unknown) => e);
    while (mock.requestCount < 2) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await mock.close();
    expect(Date.now() - started).to.be.below(1000);
    expect(await pending).to.be.instanceOf(Error);
    expect(await body).to.be.instanceOf(Error);
    await mock.close(); // idempotent
  });
});

describe('mock upstream with the Anthropic SDK', () => {
  let mock: MockUpstream;
  before(async () => {
    mock = await createMockUpstream();
  });
  after(() => mock?.close());

  async function sdk(this: Mocha.Context): Promise<typeof import('@anthropic-ai/sdk').default> {
    try {
      return (await import('@anthropic-ai/sdk')).default;
    } catch {
      this.skip();
    }
  }

  it('streams a message', async function () {
    const Anthropic = await sdk.call(this);
    const client = new Anthropic({ baseURL: mock.url, apiKey: 'k', maxRetries: 0 });
    const stream = client.messages.stream({ model: 'claude-mock-1', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }] });
    let text = '';
    stream.on('text', (t) => (text += t));
    const msg = await stream.finalMessage();
    expect(text).to.equal('Hello from mock');
    expect(msg.model).to.equal('claude-mock-1');
    expect(msg.usage.output_tokens).to.equal(5);
    expect(msg.usage.input_tokens).to.equal(12);
    const req = mock.lastRequest()!;
    expect(req.path).to.match(/^\/v1\/messages/);
    // SDK versions differ in where they put the key; the mock accepts both.
    expect([req.headers['x-api-key'], req.headers.authorization]).to.satisfy((h: unknown[]) => h.includes('k') || h.includes('Bearer k'));
  });

  it('accumulates a streamed tool call and surfaces an in-stream error', async function () {
    const Anthropic = await sdk.call(this);
    const client = new Anthropic({ baseURL: mock.url, apiKey: 'k', maxRetries: 0 });
    const params = { model: 'claude-mock-1', max_tokens: 100, tools: [{ name: 'read_file', input_schema: { type: 'object' as const } }], messages: [{ role: 'user' as const, content: 'use a tool' }] };
    const msg = await client.messages.stream(params).finalMessage();
    expect(msg.content[0]).to.deep.include({ type: 'tool_use', name: 'read_file', input: { path: 'README.md' } });

    mock.fail({ midStreamError: true, afterEvents: 3 });
    const err = await client.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(Error);
    expect(String((err as Error).message)).to.match(/overloaded/i);
  });
});
