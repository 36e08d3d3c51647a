import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { createReplayUpstream, fixture, hubKey, parseSse, waitForLog, type ReplayUpstream } from './helpers.ts';

const PROVIDER_KEY = 'sk-proj-provider-secret-0001';
const KEY = {
  main: hubKey('OpenAIMain'),
  v1: hubKey('OpenAIV1'),
  prefixed: hubKey('OpenAIPrefixed'),
  replay: hubKey('OpenAIReplay'),
  failover: hubKey('OpenAIFailover'),
};

function yaml(mock: string, broken: string, replay: string): string {
  const provider = (name: string, url: string, group: string, extra = '') => `
  - name: ${name}
    type: openai
    url: ${url}
    key: ${PROVIDER_KEY}
    groups: [${group}]${extra}`;
  const key = (name: string, group: string) => `
      - name: ${name}
        key: ${KEY[name as keyof typeof KEY]}
        providerGroups: [${group}]`;
  return `
plugins:
  - name: auth
  - name: provider-openai
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:${provider('oa-main', mock, 'default', '\n    modelRedirects: { "gpt-4o-mini-legacy": "gpt-4o-mini" }')}${provider('oa-v1', `${mock}/v1/`, 'v1', '\n    models: ["gpt-5", "gpt-5-mini"]')}${provider(
    'oa-prefixed',
    `${mock}/v1beta/openai`,
    'prefixed',
  )}${provider('oa-replay', replay, 'replay')}${provider('oa-broken', broken, 'fo', '\n    priority: 0')}${provider('oa-healthy', mock, 'fo', '\n    priority: 1')}
users:
  - name: alice
    keys:${key('main', 'default')}${key('v1', 'v1')}${key('prefixed', 'prefixed')}${key('replay', 'replay')}${key('failover', 'fo')}
`;
}

describe('provider-openai: OpenAI-compatible Chat Completions through the hub', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let broken: MockUpstream;
  let replay: ReplayUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream({ expectKey: PROVIDER_KEY, usage: { input: 30, output: 7, cacheRead: 10, reasoning: 3 } });
    broken = await createMockUpstream({ expectKey: PROVIDER_KEY });
    replay = await createReplayUpstream();
    hub = await createTestGateway({ yaml: yaml(mock.url, broken.url, replay.url) });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
    await broken?.close();
    await replay?.close();
  });
  beforeEach(() => {
    mock.reset();
    broken.reset();
    replay.requests.length = 0;
  });

  const chat = (key: string, body: string | object, headers: Record<string, string> = {}) =>
    fetch(`${hub.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const hello = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

  it('answers a non-streaming request and logs usage with cached and reasoning tokens split out', async () => {
    const res = await chat(KEY.main, hello);
    expect(res.status).to.equal(200);
    const j = (await res.json()) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number } };
    expect(j.choices[0]!.message.content).to.equal('Hello from mock');
    expect(j.usage.prompt_tokens).to.equal(40);
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    // prompt 40 = 30 fresh + 10 cached; completion 10 = 7 visible + 3 reasoning.
    expect(row).to.include({ status: 200, outcome: 'completed', stream: false, providerName: 'oa-main', clientFormat: 'openai-chat' });
    expect(row).to.include({ inputTokens: 30, cacheReadTokens: 10, outputTokens: 10, reasoningTokens: 3, cacheCreationTokens: 0 });
    expect(row).to.include({ model: 'gpt-4o-mini', servedModel: 'gpt-4o-mini' });
  });

  it('sends the provider key as Bearer; the hub key, client account headers and compression never go upstream', async () => {
    const res = await chat(KEY.main, hello, {
      'accept-encoding': 'gzip, br',
      'openai-organization': 'org-client',
      'openai-project': 'proj_client',
      'x-stainless-lang': 'js',
      'user-agent': 'OpenAI/JS 5.0.0',
    });
    expect(res.status).to.equal(200);
    const seen = mock.lastRequest()!;
    expect(seen.headers.authorization).to.equal(`Bearer ${PROVIDER_KEY}`);
    expect(JSON.stringify(seen.headers)).not.to.include(KEY.main);
    expect(seen.body.toString()).not.to.include(KEY.main);
    expect(seen.headers['openai-organization']).to.equal(undefined);
    expect(seen.headers['openai-project']).to.equal(undefined);
    expect(seen.headers['accept-encoding']).to.equal('identity');
    expect(seen.headers['x-stainless-lang']).to.equal('js');
    expect(seen.headers['user-agent']).to.equal('OpenAI/JS 5.0.0');
  });

  it('forwards a non-streaming body byte for byte (unknown fields, number formatting, key order)', async () => {
    const body = '{"model":"gpt-4o-mini","x_vendor":{"keep":1.50},"temperature":0.70,"messages":[{"role":"user","content":"hi \\u00e9"}],"seed":7}';
    const res = await chat(KEY.main, body);
    expect(res.status).to.equal(200);
    expect(mock.lastRequest()!.body.toString('utf8')).to.equal(body);
    expect(mock.lastRequest()!.path).to.equal('/v1/chat/completions');
  });

  it('streams chunk by chunk, asks upstream for the usage chunk and logs streamed usage', async () => {
    const body = '{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}';
    const res = await chat(KEY.main, body);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events.at(-1)!.data).to.equal('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as { choices: { delta: { content?: string } }[]; usage: unknown });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).to.equal('Hello from mock');
    // The usage chunk the hub asked for reaches the client too: choices [] and the totals.
    expect(chunks.at(-1)!.choices).to.deep.equal([]);
    expect(chunks.at(-1)!.usage).to.include({ prompt_tokens: 40, completion_tokens: 10 });
    // Upstream body: the client's bytes with stream_options spliced in after the brace.
    expect(mock.lastRequest()!.body.toString('utf8')).to.equal(`{"stream_options":{"include_usage":true},${body.slice(1)}`);
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ stream: true, outcome: 'completed', inputTokens: 30, cacheReadTokens: 10, outputTokens: 10, reasoningTokens: 3 });
  });

  it('leaves a stream body alone when the client already asked for usage', async () => {
    const body = '{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}';
    const res = await chat(KEY.main, body);
    await res.text();
    expect(mock.lastRequest()!.body.toString('utf8')).to.equal(body);
  });

  it('merges include_usage into the client\'s own stream_options (overriding false)', async () => {
    const res = await chat(KEY.main, { ...hello, stream: true, stream_options: { include_usage: false, include_obfuscation: false } });
    await res.text();
    expect((mock.lastRequest()!.json as { stream_options: unknown }).stream_options).to.deep.equal({ include_usage: true, include_obfuscation: false });
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row.inputTokens).to.equal(30);
  });

  it('passes tool calls through, streaming and not', async () => {
    const tools = [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }];
    const ask = { model: 'gpt-4o-mini', tools, messages: [{ role: 'user', content: 'use a tool please' }] };
    const res = await chat(KEY.main, ask);
    const j = (await res.json()) as { choices: { finish_reason: string; message: { tool_calls: { function: { name: string; arguments: string } }[] } }[] };
    expect(j.choices[0]!.finish_reason).to.equal('tool_calls');
    expect(j.choices[0]!.message.tool_calls[0]!.function).to.deep.equal({ name: 'read_file', arguments: '{"path":"README.md"}' });

    const sres = await chat(KEY.main, { ...ask, stream: true });
    const chunks = parseSse(await sres.text())
      .filter((e) => e.data !== '[DONE]')
      .map((e) => JSON.parse(e.data) as { choices: { delta: { tool_calls?: { function: { arguments?: string } }[] }; finish_reason: string | null }[] });
    const args = chunks.map((c) => c.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? '').join('');
    expect(args).to.equal('{"path":"README.md"}');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'tool_calls')).to.equal(true);
    const row = await waitForLog(hub, sres.headers.get('x-cch-request-id')!);
    expect(row).to.include({ stream: true, outputTokens: 10 });
  });

  it('applies a model redirect and logs both names', async () => {
    const res = await chat(KEY.main, { ...hello, model: 'gpt-4o-mini-legacy' });
    expect(res.status).to.equal(200);
    expect((mock.lastRequest()!.json as { model: string }).model).to.equal('gpt-4o-mini');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ model: 'gpt-4o-mini-legacy', servedModel: 'gpt-4o-mini' });
  });

  describe('upstream URL', () => {
    it('adds /v1 to a base without a version root', async () => {
      await (await chat(KEY.main, hello)).text();
      expect(mock.lastRequest()!.path).to.equal('/v1/chat/completions');
    });
    it('keeps a base that ends in /v1 (trailing slash too)', async () => {
      const res = await chat(KEY.v1, { ...hello, model: 'gpt-5' });
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal('/v1/chat/completions');
    });
    it('keeps a base with a version segment followed by a prefix (…/v1beta/openai)', async () => {
      const res = await chat(KEY.prefixed, hello);
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal('/v1beta/openai/chat/completions');
    });
    it('serves a client whose base URL already ends in /v1 (/v1/v1/chat/completions)', async () => {
      const res = await fetch(`${hub.url}/v1/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY.main}` },
        body: JSON.stringify(hello),
      });
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal('/v1/chat/completions');
    });
  });

  it('GET /v1/models is answered by the hub from the caller\'s providers\' allow-lists', async () => {
    const res = await fetch(`${hub.url}/v1/models`, { headers: { authorization: `Bearer ${KEY.v1}` } });
    expect(res.status).to.equal(200);
    const j = (await res.json()) as { object: string; data: { id: string }[] };
    expect(j.object).to.equal('list');
    expect(j.data.map((m) => m.id)).to.include.members(['gpt-5', 'gpt-5-mini']);
    expect(mock.requests).to.have.length(0);
  });

  describe('errors', () => {
    it('an upstream 400 comes back as it is and is the client\'s fault', async () => {
      const body = fixture('error-context-length.json');
      mock.fail({ status: 400, body: body.toString('utf8') });
      const res = await chat(KEY.main, hello);
      expect(res.status).to.equal(400);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ status: 400, errorClass: 'client' });
      expect(mock.requests).to.have.length(1);
    });
    it('a 500 from the only provider is a 5xx in OpenAI format, classified server', async () => {
      mock.fail({ status: 500 }, 3);
      const res = await chat(KEY.main, hello);
      expect(res.status).to.be.within(500, 599);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.be.a('string');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorClass).to.equal('server');
    });
    it('a 429 rate limit is classified rate_limited and fails over to the next provider', async () => {
      broken.fail({ status: 429, headers: { 'retry-after': '2' } });
      const res = await chat(KEY.failover, hello);
      expect(res.status).to.equal(200);
      expect(broken.requests).to.have.length(1);
      expect(mock.requests).to.have.length(1);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ providerName: 'oa-healthy', attemptCount: 2 });
    });
    it('a 500 fails over too', async () => {
      broken.fail({ status: 500 });
      const res = await chat(KEY.failover, { ...hello, stream: true });
      expect(res.status).to.equal(200);
      await res.text();
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ providerName: 'oa-healthy', inputTokens: 30 });
    });
    it('429 insufficient_quota is an account failure (auth): 502 with the provider\'s message, no retry of the same provider', async () => {
      const body = fixture('error-insufficient-quota.json');
      mock.fail({ status: 429, body: body.toString('utf8') });
      const res = await chat(KEY.main, hello);
      expect(res.status).to.equal(502);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/refused the hub's account .*quota/);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorClass).to.equal('auth');
      expect(mock.requests).to.have.length(1);
    });
    it('an in-stream error is recorded on the row', async () => {
      mock.fail({ midStreamError: true, afterEvents: 2 });
      const res = await chat(KEY.main, { ...hello, stream: true });
      expect(res.status).to.equal(200);
      expect(await res.text()).to.include('"error"');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorMessage).to.match(/server had an error/);
    });
  });

  describe('recorded provider responses, replayed', () => {
    it('a reasoning model\'s completion: bytes unchanged, usage mapped', async () => {
      const body = fixture('chat-completion.json');
      replay.reply = { body };
      const res = await chat(KEY.replay, { ...hello, model: 'gpt-5-mini' });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      expect(replay.requests[0]!.path).to.equal('/v1/chat/completions');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 256, cacheReadTokens: 1792, outputTokens: 212, reasoningTokens: 192, servedModel: 'gpt-5-mini-2025-08-07' });
    });
    it('a stream with a usage chunk, delivered in 7-byte pieces', async () => {
      const body = fixture('chat-stream.sse');
      replay.reply = { body, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, chunkSize: 7 };
      const res = await chat(KEY.replay, { ...hello, stream: true });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ stream: true, inputTokens: 159, cacheReadTokens: 1152, outputTokens: 14, servedModel: 'gpt-4o-mini-2024-07-18' });
    });
    it('a streamed tool call', async () => {
      const body = fixture('chat-stream-tools.sse');
      replay.reply = { body, headers: { 'content-type': 'text/event-stream' }, chunkSize: 64 };
      const res = await chat(KEY.replay, { ...hello, stream: true });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 87, outputTokens: 18, servedModel: 'gpt-4.1-2025-04-14' });
    });
  });
});
