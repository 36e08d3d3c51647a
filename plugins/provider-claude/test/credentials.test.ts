import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { createReplayUpstream, fixture, hubKey, parseSse, waitForLog, type ReplayUpstream } from './helpers.ts';

const API_KEY = 'sk-ant-api03-provider-secret-0001';
const OAUTH_TOKEN = 'sk-ant-oat01-provider-oauth-token-0001';
const KEY = { api: hubKey('ClaudeApi'), oauth: hubKey('ClaudeOauth'), replay: hubKey('ClaudeReplay') };

function yaml(apiMock: string, oauthMock: string, replay: string): string {
  const provider = (name: string, url: string, key: string, group: string) => `
  - name: ${name}
    type: claude
    url: ${url}
    key: ${key}
    groups: [${group}]`;
  const key = (name: keyof typeof KEY) => `
      - name: ${name}
        key: ${KEY[name]}
        providerGroups: [${name}]`;
  return `
plugins:
  - name: auth
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:${provider('cl-api', apiMock, API_KEY, 'api')}${provider('cl-oauth', `${oauthMock}/v1/`, OAUTH_TOKEN, 'oauth')}${provider('cl-replay', replay, API_KEY, 'replay')}
users:
  - name: alice
    keys:${key('api')}${key('oauth')}${key('replay')}
`;
}

describe('provider-claude: credentials, URL join, thinking, tools, errors and recorded responses', function () {
  this.timeout(60_000);
  let apiMock: MockUpstream;
  let oauthMock: MockUpstream;
  let replay: ReplayUpstream;
  let hub: TestGateway;

  before(async () => {
    apiMock = await createMockUpstream({ expectKey: API_KEY, usage: { input: 10, output: 4, reasoning: 6 } });
    oauthMock = await createMockUpstream({ expectKey: OAUTH_TOKEN });
    replay = await createReplayUpstream();
    hub = await createTestGateway({ yaml: yaml(apiMock.url, oauthMock.url, replay.url) });
  });
  after(async () => {
    await hub?.close();
    await apiMock?.close();
    await oauthMock?.close();
    await replay?.close();
  });
  beforeEach(() => {
    apiMock.reset();
    oauthMock.reset();
    replay.requests.length = 0;
  });

  const messages = (key: string, body: object, headers: Record<string, string> = {}, path = '/v1/messages') =>
    fetch(`${hub.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify(body),
    });
  const hello = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] };

  it('an API key goes as x-api-key (no Authorization); a base without /v1 gets it', async () => {
    const res = await messages(KEY.api, hello, { 'accept-encoding': 'gzip, br', 'anthropic-beta': 'interleaved-thinking-2025-05-14' });
    expect(res.status).to.equal(200);
    const seen = apiMock.lastRequest()!;
    expect(seen.path).to.equal('/v1/messages');
    expect(seen.headers['x-api-key']).to.equal(API_KEY);
    expect(seen.headers.authorization).to.equal(undefined);
    expect(seen.headers['anthropic-beta']).to.equal('interleaved-thinking-2025-05-14');
    expect(seen.headers['accept-encoding']).to.equal('identity');
    expect(JSON.stringify(seen.headers)).not.to.include(KEY.api);
  });

  it('an OAuth token goes as Bearer with the OAuth beta appended to the client\'s; a base ending in /v1/ is kept', async () => {
    const res = await messages(KEY.oauth, hello, { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' });
    expect(res.status).to.equal(200);
    const seen = oauthMock.lastRequest()!;
    expect(seen.path).to.equal('/v1/messages');
    expect(seen.headers.authorization).to.equal(`Bearer ${OAUTH_TOKEN}`);
    expect(seen.headers['x-api-key']).to.equal(undefined);
    expect(seen.headers['anthropic-beta']).to.equal('claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20');
    expect(JSON.stringify(seen.headers)).not.to.include(KEY.oauth);
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row).to.include({ providerName: 'cl-oauth', inputTokens: 12, outputTokens: 5 });
  });

  it('the OAuth beta is sent alone when the client sent none, and never twice', async () => {
    await (await messages(KEY.oauth, hello)).text();
    expect(oauthMock.lastRequest()!.headers['anthropic-beta']).to.equal('oauth-2025-04-20');
    await (await messages(KEY.oauth, hello, { 'anthropic-beta': 'oauth-2025-04-20, fine-grained-tool-streaming-2025-05-14' })).text();
    expect(oauthMock.lastRequest()!.headers['anthropic-beta']).to.equal('oauth-2025-04-20,fine-grained-tool-streaming-2025-05-14');
  });

  it('count_tokens with OAuth through a /v1 base', async () => {
    const res = await messages(KEY.oauth, { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'hi' }] }, {}, '/v1/messages/count_tokens');
    expect(res.status).to.equal(200);
    expect(oauthMock.lastRequest()!.path).to.equal('/v1/messages/count_tokens');
  });

  it('streams thinking and logs its usage', async () => {
    const res = await messages(KEY.api, { ...hello, stream: true, thinking: { type: 'enabled', budget_tokens: 1024 } });
    const events = parseSse(await res.text());
    const deltas = events.filter((e) => e.event === 'content_block_delta').map((e) => (JSON.parse(e.data) as { delta: { type: string } }).delta.type);
    expect(deltas).to.include('thinking_delta');
    expect(deltas).to.include('text_delta');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    // Anthropic counts thinking inside output_tokens: 4 visible + 6 thinking.
    expect(row).to.include({ stream: true, inputTokens: 10, outputTokens: 10 });
  });

  it('streams a tool call (input_json_delta)', async () => {
    const tools = [{ name: 'Read', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }];
    const res = await messages(KEY.api, { ...hello, stream: true, tools, messages: [{ role: 'user', content: 'use a tool' }] });
    const events = parseSse(await res.text()).map((e) => JSON.parse(e.data) as { type: string; delta?: { type: string; partial_json?: string; stop_reason?: string } });
    const json = events.filter((e) => e.delta?.type === 'input_json_delta').map((e) => e.delta!.partial_json).join('');
    expect(JSON.parse(json)).to.deep.equal({ path: 'README.md' });
    expect(events.find((e) => e.type === 'message_delta')!.delta!.stop_reason).to.equal('tool_use');
  });

  describe('errors', () => {
    it('400 "credit balance is too low" is the account\'s problem (auth): 502 naming the provider and its message', async () => {
      const body = fixture('error-credit-balance.json');
      apiMock.fail({ status: 400, body: body.toString('utf8') });
      const res = await messages(KEY.api, hello);
      expect(res.status).to.equal(502);
      const j = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(j.type).to.equal('error');
      expect(j.error.message).to.match(/refused the hub's account .*credit balance is too low/);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('auth');
    });
    it('529 → overloaded', async () => {
      apiMock.fail({ status: 529, body: fixture('error-overloaded.json').toString('utf8') });
      const res = await messages(KEY.api, hello);
      expect(res.status).to.equal(529);
      expect((await waitForLog(hub, res.headers.get('x-cch-request-id')!)).errorClass).to.equal('overloaded');
    });
    it('429 → rate_limited, 401 → auth', async () => {
      apiMock.fail({ status: 429, headers: { 'retry-after': '7' } });
      const a = await messages(KEY.api, hello);
      expect(a.status).to.equal(429);
      expect(a.headers.get('retry-after')).to.equal('7');
      expect((await waitForLog(hub, a.headers.get('x-cch-request-id')!)).errorClass).to.equal('rate_limited');
      apiMock.fail({ status: 401 });
      const b = await messages(KEY.api, hello);
      expect((await waitForLog(hub, b.headers.get('x-cch-request-id')!)).errorClass).to.equal('auth');
    });
  });

  describe('recorded responses, replayed', () => {
    it('a message with thinking, a tool call and 5m/1h cache writes', async () => {
      const body = fixture('message.json');
      replay.reply = { body };
      const res = await messages(KEY.replay, hello);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      expect(replay.requests[0]!.path).to.equal('/v1/messages');
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ inputTokens: 12, outputTokens: 187, cacheReadTokens: 18433, cacheCreationTokens: 2051, cacheCreation5mTokens: 51, cacheCreation1hTokens: 2000 });
      expect(row.servedModel).to.equal('claude-sonnet-4-5-20250929');
    });
    it('a thinking stream in 17-byte pieces', async () => {
      const body = fixture('stream-thinking.sse');
      replay.reply = { body, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, chunkSize: 17 };
      const res = await messages(KEY.replay, { ...hello, stream: true });
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).to.equal(true);
      const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
      expect(row).to.include({ stream: true, inputTokens: 3, outputTokens: 96, cacheReadTokens: 20110, cacheCreationTokens: 412, servedModel: 'claude-opus-4-1-20250805' });
    });
  });
});
