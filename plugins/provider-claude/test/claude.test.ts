import { expect } from 'chai';
import Anthropic from '@anthropic-ai/sdk';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { RequestLogEntity } from '@cch/core';

const HUB_KEY = 'hub_sk_ClaudeTestKey000000000000000000000000001';
const PROVIDER_KEY = 'sk-ant-provider-secret-0001';

function yaml(upstream: string): string {
  return `
plugins:
  - name: auth
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:
  - name: claude-mock
    type: claude
    url: ${upstream}
    key: ${PROVIDER_KEY}
    modelRedirects: { "claude-3-5-haiku-*": "claude-haiku-4-5" }
users:
  - name: alice
    keys:
      - name: laptop
        key: ${HUB_KEY}
`;
}

async function waitForLog(t: TestGateway, requestId: string) {
  for (let i = 0; i < 100; i++) {
    const row = await t.gw.db.em().findOne(RequestLogEntity, { requestId });
    if (row) return row;
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error(`no request-log row for ${requestId}`);
}

describe('provider-claude: Anthropic Messages pass-through', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream({ expectKey: PROVIDER_KEY, usage: { input: 21, output: 7, cacheCreation: 4, cacheRead: 9 } });
    hub = await createTestGateway({ yaml: yaml(mock.url) });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });
  beforeEach(() => mock.reset());

  it('serves a non-streaming message through the Anthropic SDK and logs its usage', async () => {
    const client = new Anthropic({ baseURL: hub.url, apiKey: HUB_KEY, maxRetries: 0 });
    const { data, response } = await client.messages
      .create({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.content[0]).to.include({ type: 'text' });
    expect(data.usage.input_tokens).to.equal(21);
    const requestId = response.headers.get('x-cch-request-id')!;
    expect(requestId).to.match(/^[0-9a-f-]{36}$/);
    // The provider saw the provider key, never the hub key.
    const seen = mock.lastRequest()!;
    expect(seen.headers['x-api-key']).to.equal(PROVIDER_KEY);
    expect(JSON.stringify(seen.headers)).not.to.include(HUB_KEY);
    const row = await waitForLog(hub, requestId);
    expect(row).to.include({ status: 200, outcome: 'completed', inputTokens: 21, outputTokens: 7, cacheReadTokens: 9, cacheCreationTokens: 4, model: 'claude-sonnet-4-6', providerName: 'claude-mock' });
    expect(row.stream).to.equal(false);
  });

  it('streams through the SDK event by event and logs streamed usage', async () => {
    const client = new Anthropic({ baseURL: hub.url, apiKey: HUB_KEY, maxRetries: 0 });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    const types: string[] = [];
    stream.on('streamEvent', (e) => types.push(e.type));
    const final = await stream.finalMessage();
    expect(types[0]).to.equal('message_start');
    expect(types.at(-1)).to.equal('message_stop');
    expect(types.filter((t) => t === 'content_block_delta').length).to.be.greaterThan(1);
    expect(final.usage.output_tokens).to.equal(7);
    const requestId = stream.response?.headers.get('x-cch-request-id') ?? (await stream.withResponse()).response.headers.get('x-cch-request-id')!;
    const row = await waitForLog(hub, requestId!);
    expect(row).to.include({ stream: true, outcome: 'completed', inputTokens: 21, outputTokens: 7, cacheReadTokens: 9 });
  });

  it('forwards the body byte-for-byte: unknown fields, beta headers and cache_control survive', async () => {
    const body = '{"model":"claude-sonnet-4-6","max_tokens":10,"x_unknown":{"keep":1.50},"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}]}';
    const res = await fetch(`${hub.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${HUB_KEY}`, 'anthropic-beta': 'prompt-caching-2024-07-31,fancy-beta', 'anthropic-version': '2023-06-01' },
      body,
    });
    expect(res.status).to.equal(200);
    const seen = mock.lastRequest()!;
    expect(seen.body.toString('utf8')).to.equal(body);
    expect(seen.path).to.equal('/v1/messages?beta=true');
    expect(seen.headers['anthropic-beta']).to.equal('prompt-caching-2024-07-31,fancy-beta');
    expect(seen.headers.authorization).to.equal(undefined);
  });

  it('applies a glob model redirect and logs both names', async () => {
    const res = await fetch(`${hub.url}/v1/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': HUB_KEY },
      body: JSON.stringify({ model: 'claude-3-5-haiku-20241022', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    expect((mock.lastRequest()!.json as { model: string }).model).to.equal('claude-haiku-4-5');
    const row = await waitForLog(hub, res.headers.get('x-cch-request-id')!);
    expect(row.model).to.equal('claude-3-5-haiku-20241022');
    expect(row.servedModel).to.equal('claude-haiku-4-5');
  });

  it('serves count_tokens', async () => {
    const res = await fetch(`${hub.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': HUB_KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.have.property('input_tokens');
  });

  describe('clear Anthropic-format errors, never a 500', () => {
    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${hub.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const ok = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });

    it('missing key → 401 authentication_error', async () => {
      const res = await post({}, ok);
      expect(res.status).to.equal(401);
      const j = (await res.json()) as { type: string; error: { type: string; message: string } };
      expect(j.type).to.equal('error');
      expect(j.error.type).to.equal('authentication_error');
      expect(j.error.message).to.match(/missing API key/);
      expect(mock.requests).to.have.length(0);
    });
    it('unknown key → 401', async () => {
      const res = await post({ 'x-api-key': 'hub_sk_unknown' }, ok);
      expect(res.status).to.equal(401);
      expect(((await res.json()) as { error: { type: string } }).error.type).to.equal('authentication_error');
    });
    it('two different keys → 401', async () => {
      const res = await post({ 'x-api-key': HUB_KEY, authorization: 'Bearer hub_sk_other' }, ok);
      expect(res.status).to.equal(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/two different/);
    });
    it('malformed JSON → 400 invalid_request_error', async () => {
      const res = await post({ 'x-api-key': HUB_KEY }, '{"model": "claude", ');
      expect(res.status).to.equal(400);
      const j = (await res.json()) as { error: { type: string; message: string } };
      expect(j.error.type).to.equal('invalid_request_error');
      expect(j.error.message).to.match(/not valid JSON/);
    });
    it('a JSON array body → 400', async () => {
      const res = await post({ 'x-api-key': HUB_KEY }, '[1,2]');
      expect(res.status).to.equal(400);
    });
    it('missing model → 400', async () => {
      const res = await post({ 'x-api-key': HUB_KEY }, '{"messages":[]}');
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.match(/model/);
    });
    it('unknown endpoint → 404 in the client format', async () => {
      const res = await fetch(`${hub.url}/v1/messages/nope`, { method: 'POST', headers: { 'x-api-key': HUB_KEY } });
      expect(res.status).to.equal(404);
      expect(((await res.json()) as { type: string }).type).to.equal('error');
    });
    it('upstream 400 is returned as-is (client error, not a provider failure)', async () => {
      mock.fail({ status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long' } } });
      const res = await post({ 'x-api-key': HUB_KEY }, ok);
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).to.equal('prompt is too long');
    });
    it('upstream 500 with one provider → 500-class answer in Anthropic format', async () => {
      mock.fail({ status: 500 }, 3);
      const res = await post({ 'x-api-key': HUB_KEY }, ok);
      expect(res.status).to.be.within(500, 599);
      expect(((await res.json()) as { type: string }).type).to.equal('error');
    });
  });
});
