import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { createReplayUpstream, fixture, hubKey, parseSse, waitForLog, type ReplayUpstream } from './helpers.ts';

const GEMINI_KEY = 'AIzaSyProviderSecret-0001';
const KEY = { main: hubKey('GeminiMain'), v1beta: hubKey('GeminiV1beta'), replay: hubKey('GeminiReplay') };

function yaml(mock: string, replay: string): string {
  const provider = (name: string, url: string, group: string, extra = '') => `
  - name: ${name}
    type: gemini
    url: ${url}
    key: ${GEMINI_KEY}
    groups: [${group}]${extra}`;
  const key = (name: keyof typeof KEY, group: string) => `
      - name: ${name}
        key: ${KEY[name]}
        providerGroups: [${group}]`;
  return `
plugins:
  - name: auth
  - name: provider-gemini
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:${provider('gm-main', mock, 'default', '\n    modelRedirects: { "gemini-pro-latest": "gemini-2.5-pro" }')}${provider('gm-v1beta', `${mock}/v1beta/`, 'v1beta', '\n    models: ["gemini-2.5-pro", "gemini-2.5-flash"]')}${provider('gm-replay', replay, 'replay')}
users:
  - name: alice
    keys:${key('main', 'default')}${key('v1beta', 'v1beta')}${key('replay', 'replay')}
`;
}

describe('provider-gemini: the Gemini API through the hub', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let replay: ReplayUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream({ expectKey: GEMINI_KEY, usage: { input: 40, output: 6, cacheRead: 8, reasoning: 5 } });
    replay = await createReplayUpstream();
    hub = await createTestGateway({ yaml: yaml(mock.url, replay.url) });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
    await replay?.close();
  });
  beforeEach(() => {
    mock.reset();
    replay.requests.length = 0;
  });

  const call = (key: string, pathAndQuery: string, body: string | object, headers: Record<string, string> = {}) =>
    fetch(`${hub.url}${pathAndQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const hello = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] };

  it('answers generateContent; usage: cached out of input, thoughts added to output', async () => {
    const res = await call(KEY.main, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    expect(res.status).to.equal(200);
    const j = (await res.json()) as { candidates: { content: { parts: { text: string }[] } }[]; usageMetadata: { promptTokenCount: number } };
    expect(j.candidates[0]!.content.parts[0]!.text).to.equal('Hello from mock');
    expect(j.usageMetadata.promptTokenCount).to.equal(48);
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ status: 200, outcome: 'completed', stream: false, providerName: 'gm-main', clientFormat: 'gemini', operation: 'generate' });
    expect(row).to.include({ inputTokens: 40, cacheReadTokens: 8, outputTokens: 11, reasoningTokens: 5, model: 'gemini-2.5-flash', servedModel: 'gemini-2.5-flash' });
  });

  it('sends x-goog-api-key with the provider key; the hub key (header or ?key=) never goes upstream', async () => {
    const body = '{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"temperature":0.50},"x_unknown":true}';
    const res = await fetch(`${hub.url}/v1beta/models/gemini-2.5-flash:generateContent?key=${KEY.main}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip', 'x-goog-api-client': 'google-genai-sdk/1.20.0', 'x-goog-user-project': 'client-proj' },
      body,
    });
    expect(res.status).to.equal(200);
    const seen = mock.lastRequest()!;
    expect(seen.path).to.equal('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(seen.headers['x-goog-api-key']).to.equal(GEMINI_KEY);
    expect(seen.headers.authorization).to.equal(undefined);
    expect(JSON.stringify(seen.headers) + seen.path).not.to.include(KEY.main);
    expect(seen.body.toString('utf8')).to.equal(body);
    expect(seen.headers['accept-encoding']).to.equal('identity');
    expect(seen.headers['x-goog-api-client']).to.equal('google-genai-sdk/1.20.0');
    expect(seen.headers['x-goog-user-project']).to.equal(undefined);
  });

  it('streams SSE (alt=sse kept, key dropped) and logs usage from the last chunk', async () => {
    const res = await fetch(`${hub.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=${KEY.main}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hello),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
    expect(mock.lastRequest()!.path).to.equal('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    const chunks = parseSse(await res.text()).map((e) => JSON.parse(e.data) as { candidates: { content: { parts: { text: string }[] } }[] });
    expect(chunks.length).to.be.greaterThan(1);
    expect(chunks.map((c) => c.candidates[0]!.content.parts[0]!.text).join('')).to.equal('Hello from mock');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ stream: true, outcome: 'completed', inputTokens: 40, cacheReadTokens: 8, outputTokens: 11, reasoningTokens: 5 });
  });

  it('streams a JSON array (no alt) and logs its usage', async () => {
    const res = await call(KEY.main, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', hello);
    expect(res.status).to.equal(200);
    const arr = JSON.parse(await res.text()) as unknown[];
    expect(arr.length).to.be.greaterThan(1);
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ stream: true, inputTokens: 40, outputTokens: 11, reasoningTokens: 5 });
  });

  it('passes function calls and thoughts through', async () => {
    const tools = [{ functionDeclarations: [{ name: 'read_file', parameters: { type: 'OBJECT', properties: { path: { type: 'STRING' } } } }] }];
    const res = await call(KEY.main, '/v1beta/models/gemini-2.5-pro:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'use a tool' }] }],
      tools,
      generationConfig: { thinkingConfig: { includeThoughts: true } },
    });
    const j = (await res.json()) as { candidates: { content: { parts: { thought?: boolean; functionCall?: { name: string; args: unknown } }[] } }[] };
    const parts = j.candidates[0]!.content.parts;
    expect(parts.some((p) => p.thought === true)).to.equal(true);
    expect(parts.find((p) => p.functionCall)!.functionCall).to.deep.equal({ name: 'read_file', args: { path: 'README.md' } });
  });

  it('serves countTokens (no billable usage)', async () => {
    const res = await call(KEY.main, '/v1beta/models/gemini-2.5-flash:countTokens', hello);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { totalTokens: number }).totalTokens).to.equal(48);
    expect(mock.lastRequest()!.path).to.equal('/v1beta/models/gemini-2.5-flash:countTokens');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ operation: 'count_tokens', inputTokens: 0, outputTokens: 0 });
  });

  it('rebuilds the path with the redirected model and leaves the body alone', async () => {
    const body = JSON.stringify(hello);
    const res = await call(KEY.main, '/v1beta/models/gemini-pro-latest:generateContent', body);
    expect(res.status).to.equal(200);
    expect(mock.lastRequest()!.path).to.equal('/v1beta/models/gemini-2.5-pro:generateContent');
    expect(mock.lastRequest()!.body.toString()).to.equal(body);
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ model: 'gemini-pro-latest', servedModel: 'gemini-2.5-pro' });
  });

  describe('upstream URL', () => {
    it('a base without a version root gets /v1beta', async () => {
      await (await call(KEY.main, '/v1beta/models/gemini-2.5-flash:generateContent', hello)).text();
      expect(mock.lastRequest()!.path).to.equal('/v1beta/models/gemini-2.5-flash:generateContent');
    });
    it('a base ending in /v1beta/ is kept', async () => {
      const res = await call(KEY.v1beta, '/v1beta/models/gemini-2.5-pro:generateContent', hello);
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal('/v1beta/models/gemini-2.5-pro:generateContent');
    });
    it('a client on /v1/models/… is served through the provider\'s /v1beta', async () => {
      const res = await call(KEY.main, '/v1/models/gemini-2.5-flash:generateContent', hello);
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal('/v1beta/models/gemini-2.5-flash:generateContent');
    });
  });

  it('GET /v1beta/models is answered by the hub from the caller\'s allow-lists', async () => {
    const res = await fetch(`${hub.url}/v1beta/models`, { headers: { 'x-goog-api-key': KEY.v1beta } });
    expect(res.status).to.equal(200);
    const j = (await res.json()) as { models: { name: string }[] };
    expect(j.models.map((m) => m.name)).to.include.members(['models/gemini-2.5-pro', 'models/gemini-2.5-flash']);
    expect(mock.requests).to.have.length(0);
  });

  describe('errors', () => {
    const gen = () => call(KEY.main, '/v1beta/models/gemini-2.5-flash:generateContent', hello);
    it('400 INVALID_ARGUMENT comes back as it is, classified client', async () => {
      const body = fixture('error-invalid-argument.json');
      mock.fail({ status: 400, body: body.toString('utf8') });
      const res = await gen();
      expect(res.status).to.equal(400);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('client');
    });
    it('400 API_KEY_INVALID is the provider\'s credential (auth), not the client\'s fault', async () => {
      mock.fail({ status: 400, body: fixture('error-api-key-invalid.json').toString('utf8') });
      const res = await gen();
      expect(res.status).to.equal(502);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('auth');
    });
    it('429 RESOURCE_EXHAUSTED → rate_limited, body passed on', async () => {
      mock.fail({ status: 429, body: fixture('error-resource-exhausted.json').toString('utf8') });
      const res = await gen();
      expect(res.status).to.equal(429);
      expect(((await res.json()) as { error: { status: string } }).error.status).to.equal('RESOURCE_EXHAUSTED');
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('rate_limited');
    });
    it('500 → server, 503 → overloaded, answered in Gemini\'s error shape', async () => {
      mock.fail({ status: 500 });
      const a = await gen();
      expect(a.status).to.equal(500);
      expect(((await a.json()) as { error: { status: string } }).error.status).to.equal('INTERNAL');
      expect((await waitForLog(hub, a.headers.get('x-cch-request-id')!)).errorClass).to.equal('server');
      mock.fail({ status: 503 });
      const b = await gen();
      expect(b.status).to.equal(503);
      expect((await waitForLog(hub, b.headers.get('x-cch-request-id')!)).errorClass).to.equal('overloaded');
    });
    it('an in-stream error element is recorded on the row', async () => {
      mock.fail({ midStreamError: true, afterEvents: 2 });
      const res = await call(KEY.main, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', hello);
      expect(await res.text()).to.include('UNAVAILABLE');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorMessage).to.match(/overloaded/);
    });
  });

  describe('recorded provider responses, replayed', () => {
    it('generateContent with thoughts and a context-cache hit', async () => {
      const body = fixture('generate-content.json');
      replay.reply = { body, headers: { 'content-type': 'application/json; charset=UTF-8' } };
      const res = await call(KEY.replay, '/v1beta/models/gemini-2.5-pro:generateContent', hello);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      expect(replay.requests[0]!.path).to.equal('/v1beta/models/gemini-2.5-pro:generateContent');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 178, cacheReadTokens: 4032, outputTokens: 1100, reasoningTokens: 1014, servedModel: 'gemini-2.5-pro' });
    });
    it('an SSE stream with CRLF framing, in 9-byte pieces', async () => {
      const body = fixture('stream.sse');
      replay.reply = { body, headers: { 'content-type': 'text/event-stream' }, chunkSize: 9 };
      const res = await call(KEY.replay, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', hello);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ stream: true, inputTokens: 9, outputTokens: 443, reasoningTokens: 412, servedModel: 'gemini-2.5-flash' });
    });
    it('a pretty-printed JSON-array stream with a function call, in 5-byte pieces', async () => {
      const body = fixture('stream-array.json');
      replay.reply = { body, headers: { 'content-type': 'application/json; charset=UTF-8' }, chunkSize: 5 };
      const res = await call(KEY.replay, '/v1beta/models/gemini-2.5-pro:streamGenerateContent', hello);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ stream: true, inputTokens: 1530, outputTokens: 234, reasoningTokens: 210, servedModel: 'gemini-2.5-pro' });
    });
  });
});
