import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { createReplayUpstream, fixture, hubKey, parseSse, waitForLog, type ReplayUpstream } from './helpers.ts';

const PROVIDER_KEY = 'sk-proj-codex-provider-secret-0001';
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A ChatGPT access token as Codex CLI stores it (unsigned here; only the upstream verifies). */
const CHATGPT_TOKEN = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-7f3e-0001', chatgpt_plan_type: 'plus' }, exp: 4102444800 })}.c2lnbmF0dXJl`;
const KEY = {
  main: hubKey('CodexMain'),
  v1: hubKey('CodexV1'),
  chatgpt: hubKey('CodexChatGPT'),
  bare: hubKey('CodexBare'),
  replay: hubKey('CodexReplay'),
};

function yaml(mock: string, chatgpt: string, replay: string): string {
  const provider = (name: string, url: string, key: string, group: string, extra = '') => `
  - name: ${name}
    type: codex
    url: ${url}
    key: ${key}
    groups: [${group}]${extra}`;
  const key = (name: keyof typeof KEY) => `
      - name: ${name}
        key: ${KEY[name]}
        providerGroups: [${name === 'main' ? 'default' : name}]`;
  return `
plugins:
  - name: auth
  - name: provider-codex
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:${provider('cx-main', mock, PROVIDER_KEY, 'default', '\n    modelRedirects: { "codex-latest": "gpt-5-codex" }')}${provider('cx-v1', `${mock}/v1`, PROVIDER_KEY, 'v1')}${provider(
    'cx-chatgpt',
    `${chatgpt}/backend-api/codex/`,
    CHATGPT_TOKEN,
    'chatgpt',
  )}${provider('cx-bare', `${chatgpt}/backend-api`, CHATGPT_TOKEN, 'bare')}${provider('cx-replay', replay, PROVIDER_KEY, 'replay')}
users:
  - name: alice
    keys:${key('main')}${key('v1')}${key('chatgpt')}${key('bare')}${key('replay')}
`;
}

describe('provider-codex: OpenAI Responses through the hub', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let chatgpt: MockUpstream;
  let replay: ReplayUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream({ expectKey: PROVIDER_KEY, usage: { input: 50, output: 9, cacheRead: 20, reasoning: 4 } });
    chatgpt = await createMockUpstream({ expectKey: CHATGPT_TOKEN });
    replay = await createReplayUpstream();
    hub = await createTestGateway({ yaml: yaml(mock.url, chatgpt.url, replay.url) });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
    await chatgpt?.close();
    await replay?.close();
  });
  beforeEach(() => {
    mock.reset();
    chatgpt.reset();
    replay.requests.length = 0;
  });

  const responses = (key: string, body: string | object, headers: Record<string, string> = {}) =>
    fetch(`${hub.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const hello = { model: 'gpt-5-codex', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] };

  it('answers a non-streaming request; usage: cached out of input, reasoning within output', async () => {
    const res = await responses(KEY.main, hello);
    expect(res.status).to.equal(200);
    const j = (await res.json()) as { output: { content: { text: string }[] }[] };
    expect(j.output[0]!.content[0]!.text).to.equal('Hello from mock');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    // input_tokens 70 = 50 fresh + 20 cached; output_tokens 13 = 9 + 4 reasoning.
    expect(row).to.include({ status: 200, outcome: 'completed', stream: false, providerName: 'cx-main', clientFormat: 'openai-responses' });
    expect(row).to.include({ inputTokens: 50, cacheReadTokens: 20, outputTokens: 13, reasoningTokens: 4, servedModel: 'gpt-5-codex' });
  });

  it('forwards the body byte for byte and the provider key as Bearer; the hub key stays home', async () => {
    const body = '{"model":"gpt-5-codex","instructions":"be brief","input":"hi","reasoning":{"effort":"low","summary":"auto"},"x_unknown":[1.0,2.50],"store":false}';
    const res = await responses(KEY.main, body, { 'accept-encoding': 'gzip', originator: 'codex_cli_rs', session_id: 'sess-1', 'openai-organization': 'org-client' });
    expect(res.status).to.equal(200);
    const seen = mock.lastRequest()!;
    expect(seen.body.toString('utf8')).to.equal(body);
    expect(seen.path).to.equal('/v1/responses');
    expect(seen.headers.authorization).to.equal(`Bearer ${PROVIDER_KEY}`);
    expect(JSON.stringify(seen.headers)).not.to.include(KEY.main);
    expect(seen.headers['accept-encoding']).to.equal('identity');
    expect(seen.headers.originator).to.equal('codex_cli_rs');
    expect(seen.headers.session_id).to.equal('sess-1');
    expect(seen.headers['openai-organization']).to.equal(undefined);
    // Not a ChatGPT backend: no account header, no beta default.
    expect(seen.headers['chatgpt-account-id']).to.equal(undefined);
    expect(seen.headers['openai-beta']).to.equal(undefined);
  });

  it('streams event by event and logs usage from response.completed', async () => {
    const res = await responses(KEY.main, { ...hello, stream: true });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/text\/event-stream/);
    const events = parseSse(await res.text());
    expect(events[0]!.event).to.equal('response.created');
    expect(events.at(-1)!.event).to.equal('response.completed');
    const text = events.filter((e) => e.event === 'response.output_text.delta').map((e) => (JSON.parse(e.data) as { delta: string }).delta);
    expect(text.join('')).to.equal('Hello from mock');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ stream: true, outcome: 'completed', inputTokens: 50, cacheReadTokens: 20, outputTokens: 13, reasoningTokens: 4, servedModel: 'gpt-5-codex' });
  });

  it('passes function calls through, streaming and not', async () => {
    const tools = [{ type: 'function', name: 'shell', parameters: { type: 'object', properties: { path: { type: 'string' } } } }];
    const ask = { model: 'gpt-5-codex', tools, input: 'use a tool' };
    const j = (await (await responses(KEY.main, ask)).json()) as { output: { type: string; name: string; arguments: string }[] };
    expect(j.output[0]).to.include({ type: 'function_call', name: 'shell', arguments: '{"path":"README.md"}' });
    const res = await responses(KEY.main, { ...ask, stream: true });
    const events = parseSse(await res.text());
    const args = events.filter((e) => e.event === 'response.function_call_arguments.delta').map((e) => (JSON.parse(e.data) as { delta: string }).delta);
    expect(args.join('')).to.equal('{"path":"README.md"}');
  });

  it('applies a model redirect and logs both names', async () => {
    const res = await responses(KEY.main, { ...hello, model: 'codex-latest' });
    expect((mock.lastRequest()!.json as { model: string }).model).to.equal('gpt-5-codex');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ model: 'codex-latest', servedModel: 'gpt-5-codex' });
  });

  describe('upstream URL and credentials', () => {
    it('a base without /v1 gets it', async () => {
      await (await responses(KEY.main, hello)).text();
      expect(mock.lastRequest()!.path).to.equal('/v1/responses');
    });
    it('a base ending in /v1 is kept', async () => {
      const res = await responses(KEY.v1, hello);
      expect(res.status).to.equal(200);
      expect(mock.lastRequest()!.path).to.equal('/v1/responses');
    });
    it('a ChatGPT backend base (…/backend-api/codex) takes /responses directly, with the token\'s account id', async () => {
      const res = await responses(KEY.chatgpt, { ...hello, stream: true, store: false }, { 'chatgpt-account-id': 'acct-of-the-client' });
      expect(res.status).to.equal(200);
      await res.text();
      const seen = chatgpt.lastRequest()!;
      expect(seen.path).to.equal('/backend-api/codex/responses');
      expect(seen.headers.authorization).to.equal(`Bearer ${CHATGPT_TOKEN}`);
      expect(seen.headers['chatgpt-account-id']).to.equal('acct-7f3e-0001');
      expect(seen.headers['openai-beta']).to.equal('responses=experimental');
      expect(seen.headers.originator).to.equal('codex_cli_rs');
      expect(JSON.stringify(seen.headers)).not.to.include(KEY.chatgpt);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ providerName: 'cx-chatgpt', inputTokens: 12, outputTokens: 5 });
    });
    it('a bare …/backend-api base gets Codex\'s /codex prefix; client openai-beta wins', async () => {
      const res = await responses(KEY.bare, hello, { 'openai-beta': 'responses=v2' });
      expect(res.status).to.equal(200);
      expect(chatgpt.lastRequest()!.path).to.equal('/backend-api/codex/responses');
      expect(chatgpt.lastRequest()!.headers['openai-beta']).to.equal('responses=v2');
    });
  });

  describe('errors', () => {
    it('an upstream 400 comes back as it is, classified client', async () => {
      const body = JSON.stringify({ error: { message: "Unsupported parameter: 'temperature'", type: 'invalid_request_error', param: 'temperature', code: 'unsupported_parameter' } });
      mock.fail({ status: 400, body });
      const res = await responses(KEY.main, hello);
      expect(res.status).to.equal(400);
      expect(await res.text()).to.equal(body);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorClass).to.equal('client');
    });
    it('a 500 is a 5xx classified server', async () => {
      mock.fail({ status: 500 }, 3);
      const res = await responses(KEY.main, hello);
      expect(res.status).to.be.within(500, 599);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorClass).to.equal('server');
    });
    it('ChatGPT\'s usage_limit_reached 429 is rate_limited and keeps its body', async () => {
      const body = fixture('error-usage-limit.json');
      chatgpt.fail({ status: 429, body: body.toString('utf8') });
      const res = await responses(KEY.chatgpt, { ...hello, stream: true });
      expect(res.status).to.equal(429);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorClass).to.equal('rate_limited');
    });
    it('insufficient_quota is an account failure (auth)', async () => {
      mock.fail({ status: 429, body: fixture('error-insufficient-quota.json').toString('utf8') });
      const res = await responses(KEY.main, hello);
      expect(res.status).to.equal(502);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/refused the hub's account/);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorClass).to.equal('auth');
    });
    it('an in-stream error event is recorded on the row', async () => {
      mock.fail({ midStreamError: true, afterEvents: 3 });
      const res = await responses(KEY.main, { ...hello, stream: true });
      expect(await res.text()).to.include('event: error');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row.errorMessage).to.match(/server had an error/);
    });
  });

  describe('recorded provider responses, replayed', () => {
    it('a reasoning response: bytes unchanged, usage mapped', async () => {
      const body = fixture('response.json');
      replay.reply = { body };
      const res = await responses(KEY.replay, hello);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 1024, cacheReadTokens: 4096, outputTokens: 356, reasoningTokens: 320, servedModel: 'gpt-5-codex' });
    });
    it('a reasoning stream in 101-byte pieces', async () => {
      const body = fixture('response-stream.sse');
      replay.reply = { body, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, chunkSize: 101 };
      const res = await responses(KEY.replay, { ...hello, stream: true });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ stream: true, inputTokens: 1024, cacheReadTokens: 4096, outputTokens: 356, reasoningTokens: 320 });
    });
    it('a ChatGPT-backend function call stream', async () => {
      const body = fixture('chatgpt-stream.sse');
      replay.reply = { body, headers: { 'content-type': 'text/event-stream' }, chunkSize: 256 };
      const res = await responses(KEY.replay, { ...hello, stream: true });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 196, cacheReadTokens: 8704, outputTokens: 61, servedModel: 'gpt-5-codex' });
    });
    it('an incomplete response (max_output_tokens) still bills its usage', async () => {
      replay.reply = { body: fixture('response-incomplete.sse'), headers: { 'content-type': 'text/event-stream' } };
      const res = await responses(KEY.replay, { ...hello, stream: true });
      await res.text();
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 900, outputTokens: 64, reasoningTokens: 64, servedModel: 'gpt-5-mini-2025-08-07' });
      expect(row.errorMessage).to.equal(null);
    });
  });
});
