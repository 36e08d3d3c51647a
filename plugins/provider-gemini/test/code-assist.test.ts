import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { createReplayUpstream, fixture, hubKey, parseSse, waitForLog, type ReplayUpstream } from './helpers.ts';

const ACCESS_TOKEN = 'ya29.a0AfB_byProviderAccessToken-0001';
const GEMINI_KEY = 'AIzaSyMixedProvider-0001';
const KEY = {
  main: hubKey('CodeAssistMain'),
  suffix: hubKey('CodeAssistSuffix'),
  replay: hubKey('CodeAssistReplay'),
  mixed: hubKey('CodeAssistMixed'),
  mixedRev: hubKey('CodeAssistMixedRev'),
};

function yaml(mock: string, gemini: string, replay: string): string {
  const provider = (name: string, type: string, url: string, key: string, group: string, extra = '') => `
  - name: ${name}
    type: ${type}
    url: ${url}
    key: ${key}
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
providers:${provider('ca-main', 'gemini-cli', mock, ACCESS_TOKEN, 'default', '\n    modelRedirects: { "gemini-pro-latest": "gemini-2.5-pro" }')}${provider(
    'ca-suffix',
    'gemini-cli',
    `${mock}/v1internal/`,
    ACCESS_TOKEN,
    'suffix',
  )}${provider('ca-replay', 'gemini-cli', replay, ACCESS_TOKEN, 'replay')}${provider('mixed-api', 'gemini', gemini, GEMINI_KEY, 'mixed', '\n    priority: 0')}${provider(
    'mixed-cli',
    'gemini-cli',
    mock,
    ACCESS_TOKEN,
    'mixed',
    '\n    priority: 1',
  )}${provider('rev-cli', 'gemini-cli', mock, ACCESS_TOKEN, 'mixed-rev', '\n    priority: 0')}${provider('rev-api', 'gemini', gemini, GEMINI_KEY, 'mixed-rev', '\n    priority: 1')}
users:
  - name: alice
    keys:${key('main', 'default')}${key('suffix', 'suffix')}${key('replay', 'replay')}${key('mixed', 'mixed')}${key('mixedRev', 'mixed-rev')}
`;
}

describe('provider-gemini: Gemini Code Assist (gemini-cli) through the hub', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let gemini: MockUpstream;
  let replay: ReplayUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream({ expectKey: ACCESS_TOKEN, usage: { input: 100, output: 20, cacheRead: 60, reasoning: 7 } });
    gemini = await createMockUpstream({ expectKey: GEMINI_KEY });
    replay = await createReplayUpstream();
    hub = await createTestGateway({ yaml: yaml(mock.url, gemini.url, replay.url) });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
    await gemini?.close();
    await replay?.close();
  });
  beforeEach(() => {
    mock.reset();
    gemini.reset();
    replay.requests.length = 0;
  });

  const ca = (key: string, method: string, body: string | object | undefined, opts: { prefix?: string; query?: string; headers?: Record<string, string> } = {}) =>
    fetch(`${hub.url}${opts.prefix ?? '/gemini'}/v1internal:${method}${opts.query ?? ''}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), authorization: `Bearer ${key}`, ...opts.headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const generate = (model = 'gemini-2.5-pro') => ({
    model,
    project: 'mock-project',
    user_prompt_id: 'p-1',
    request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], session_id: 's-1' },
  });

  it('passes loadCodeAssist through byte for byte with the provider\'s access token', async () => {
    const body = '{"metadata":{"ideType":"IDE_UNSPECIFIED","platform":"PLATFORM_UNSPECIFIED","pluginType":"GEMINI"}}';
    const res = await ca(KEY.main, 'loadCodeAssist', body, { headers: { 'user-agent': 'GeminiCLI/0.9.0 (linux; x64)', 'accept-encoding': 'gzip' } });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { cloudaicompanionProject: string }).cloudaicompanionProject).to.equal('mock-project');
    const seen = mock.lastRequest()!;
    expect(seen.path).to.equal('/v1internal:loadCodeAssist');
    expect(seen.body.toString()).to.equal(body);
    expect(seen.headers.authorization).to.equal(`Bearer ${ACCESS_TOKEN}`);
    expect(JSON.stringify(seen.headers)).not.to.include(KEY.main);
    expect(seen.headers['user-agent']).to.equal('GeminiCLI/0.9.0 (linux; x64)');
    expect(seen.headers['accept-encoding']).to.equal('identity');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ operation: 'code_assist', providerName: 'ca-main', inputTokens: 0 });
  });

  for (const method of ['onboardUser', 'retrieveUserQuota', 'listExperiments', 'recordCodeAssistMetrics']) {
    it(`passes ${method} through`, async () => {
      const body = JSON.stringify({ project: 'mock-project', metadata: { pluginType: 'GEMINI' } });
      const res = await ca(KEY.main, method, body);
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal(`/v1internal:${method}`);
      expect(mock.lastRequest()!.body.toString()).to.equal(body);
    });
  }

  it('serves /v1internal:… without the /gemini prefix', async () => {
    const res = await ca(KEY.main, 'loadCodeAssist', { metadata: {} }, { prefix: '' });
    expect(res.status).to.equal(200);
    expect(mock.lastRequest()!.path).to.equal('/v1internal:loadCodeAssist');
  });

  it('sends a body-less GET call as a GET', async () => {
    const res = await ca(KEY.main, 'getCodeAssistGlobalUserSetting', undefined);
    expect(res.status).to.equal(200);
    expect(mock.lastRequest()).to.include({ method: 'GET', path: '/v1internal:getCodeAssistGlobalUserSetting' });
    expect(mock.lastRequest()!.body.length).to.equal(0);
  });

  it('generateContent: usage from the response envelope', async () => {
    const res = await ca(KEY.main, 'generateContent', generate());
    expect(res.status).to.equal(200);
    const j = (await res.json()) as { response: { candidates: { content: { parts: { text: string }[] } }[] } };
    expect(j.response.candidates[0]!.content.parts[0]!.text).to.equal('Hello from mock');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ operation: 'generate', stream: false, model: 'gemini-2.5-pro', servedModel: 'gemini-2.5-pro' });
    expect(row).to.include({ inputTokens: 100, cacheReadTokens: 60, outputTokens: 27, reasoningTokens: 7 });
  });

  it('streamGenerateContent?alt=sse: streamed, usage logged', async () => {
    const res = await ca(KEY.main, 'streamGenerateContent', generate('gemini-2.5-flash'), { query: '?alt=sse' });
    expect(res.status).to.equal(200);
    expect(mock.lastRequest()!.path).to.equal('/v1internal:streamGenerateContent?alt=sse');
    const chunks = parseSse(await res.text()).map((e) => JSON.parse(e.data) as { response: { candidates: { content: { parts: { text: string }[] } }[] } });
    expect(chunks.map((c) => c.response.candidates[0]!.content.parts[0]!.text).join('')).to.equal('Hello from mock');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ stream: true, inputTokens: 100, cacheReadTokens: 60, outputTokens: 27, servedModel: 'gemini-2.5-flash' });
  });

  it('streamGenerateContent without alt streams a JSON array of envelopes', async () => {
    const res = await ca(KEY.main, 'streamGenerateContent', generate());
    const arr = JSON.parse(await res.text()) as { response: unknown }[];
    expect(arr.length).to.be.greaterThan(1);
    expect(arr[0]).to.have.property('response');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ stream: true, inputTokens: 100, outputTokens: 27 });
  });

  it('countTokens passes through', async () => {
    const res = await ca(KEY.main, 'countTokens', { request: { model: 'models/gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { totalTokens: number }).totalTokens).to.equal(160);
  });

  it('applies a model redirect to the body\'s model', async () => {
    const res = await ca(KEY.main, 'generateContent', generate('gemini-pro-latest'));
    expect(res.status).to.equal(200);
    const sent = mock.lastRequest()!.json as { model: string; project: string; request: unknown };
    expect(sent.model).to.equal('gemini-2.5-pro');
    expect(sent.project).to.equal('mock-project');
    expect(sent.request).to.deep.equal(generate().request);
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ model: 'gemini-pro-latest', servedModel: 'gemini-2.5-pro' });
  });

  it('a provider URL ending in /v1internal works too', async () => {
    const res = await ca(KEY.suffix, 'loadCodeAssist', { metadata: {} });
    expect(res.status).to.equal(200);
    expect(mock.lastRequest()!.path).to.equal('/v1internal:loadCodeAssist');
  });

  describe('errors', () => {
    it('403 PERMISSION_DENIED → auth: 502 in Gemini\'s error shape', async () => {
      mock.fail({ status: 403 });
      const res = await ca(KEY.main, 'generateContent', generate());
      expect(res.status).to.equal(502);
      expect(((await res.clone().json()) as { error: { code: number } }).error.code).to.equal(502);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('auth');
    });
    it('429 RESOURCE_EXHAUSTED → rate_limited', async () => {
      mock.fail({ status: 429 });
      const res = await ca(KEY.main, 'streamGenerateContent', generate(), { query: '?alt=sse' });
      expect(res.status).to.equal(429);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('rate_limited');
    });
    it('400 comes back as it is, classified client', async () => {
      const body = fixture('error-invalid-argument.json');
      mock.fail({ status: 400, body: body.toString('utf8') });
      const res = await ca(KEY.main, 'generateContent', generate());
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('client');
    });
    it('500 → server', async () => {
      mock.fail({ status: 500 });
      const res = await ca(KEY.main, 'generateContent', generate());
      expect(res.status).to.equal(500);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('server');
    });
  });

  describe('recorded responses, replayed', () => {
    it('a streamed turn with thoughts and a cache hit, in 13-byte pieces', async () => {
      const body = fixture('code-assist-stream.sse');
      replay.reply = { body, headers: { 'content-type': 'text/event-stream' }, chunkSize: 13 };
      const res = await ca(KEY.replay, 'streamGenerateContent', generate(), { query: '?alt=sse' });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      expect(replay.requests[0]!.path).to.equal('/v1internal:streamGenerateContent?alt=sse');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 240, cacheReadTokens: 11800, outputTokens: 340, reasoningTokens: 300, servedModel: 'gemini-2.5-pro' });
    });
    it('a JSON-mode generateContent (Gemini CLI\'s next-speaker check)', async () => {
      const body = fixture('code-assist-generate.json');
      replay.reply = { body };
      const res = await ca(KEY.replay, 'generateContent', generate('gemini-2.5-flash'));
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 2301, outputTokens: 79, reasoningTokens: 60, servedModel: 'gemini-2.5-flash' });
    });
    it('loadCodeAssist for a standard-tier account', async () => {
      const body = fixture('load-code-assist.json');
      replay.reply = { body };
      const res = await ca(KEY.replay, 'loadCodeAssist', { metadata: { pluginType: 'GEMINI' } });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
    });
  });

  describe('a group holding both gemini and gemini-cli providers', () => {
    // needs core: route by endpoint dialect — a Code Assist call must only go to adapters that serve
    // Code Assist (gemini-cli) and a Gemini API call only to those that serve the Gemini API (gemini),
    // although both speak the `gemini` wire format. Today the default plan picks by format and
    // operation only, so the first provider by priority gets both and the wrong one refuses.
    it('sends Code Assist calls to the gemini-cli provider', async () => {
      const res = await ca(KEY.mixed, 'generateContent', generate());
      expect(res.status).to.equal(200);
      expect(gemini.requests).to.have.length(0);
      expect(mock.requests).to.have.length(1);
    });
    it('sends Gemini API calls to the gemini provider', async () => {
      const res = await fetch(`${hub.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY.mixed },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      expect(res.status).to.equal(200);
      expect(gemini.requests).to.have.length(1);
      expect(mock.requests).to.have.length(0);
    });
    it('sends Gemini API calls to the gemini provider when a gemini-cli one comes first', async () => {
      const res = await fetch(`${hub.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY.mixedRev },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      expect(res.status).to.equal(200);
      expect(gemini.requests).to.have.length(1);
      expect(mock.requests).to.have.length(0);
    });
    it('until then, a wrong-dialect provider refuses clearly (404) instead of sending a malformed request', async () => {
      const res = await fetch(`${hub.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY.mixedRev },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      if (gemini.requests.length === 1) return; // endpoint-dialect routing has landed: nothing to refuse
      expect(res.status).to.equal(404);
      const { error } = (await res.json()) as { error: { status: string; message: string } };
      expect(error.status).to.equal('NOT_FOUND');
      expect(error.message).to.match(/rev-cli.*serves Gemini Code Assist, not the Gemini API/);
      expect(mock.requests).to.have.length(0);
    });
    it('routes control calls (code_assist) to the gemini-cli provider by operation', async () => {
      const res = await ca(KEY.mixed, 'loadCodeAssist', { metadata: {} });
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal('/v1internal:loadCodeAssist');
      expect(gemini.requests).to.have.length(0);
    });
  });

  // needs core: /v1internal/{name} paths (Gemini CLI polls long-running onboarding with
  // GET {CODE_ASSIST_ENDPOINT}/v1internal/operations/{id}); the hub only matches `v1internal:{method}`.
  it('passes GET /v1internal/operations/{id} through', async () => {
    const res = await fetch(`${hub.url}/gemini/v1internal/operations/mock-onboard`, { headers: { authorization: `Bearer ${KEY.main}` } });
    expect(res.status).to.not.equal(404);
    expect(mock.lastRequest()).to.include({ method: 'GET', path: '/v1internal/operations/mock-onboard' });
  });
});
