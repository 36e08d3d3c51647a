import { expect } from 'chai';
import { DEFAULT_TIMEOUTS, classifyHttpStatus, emptyUsage, type Endpoint, type Identity, type ProviderAdapter, type ProviderDirectory, type ProviderRecord, type WireFormat } from '@cch/core';
import { deriveSession, staticCandidates } from '../src/index.ts';

function adapter(type: string, format: WireFormat, operations?: Endpoint['operation'][]): ProviderAdapter {
  return {
    type,
    format,
    operations,
    buildRequest: () => ({ url: 'http://x', method: 'POST', headers: {} }),
    extractUsage: () => emptyUsage(),
    createStreamParser: () => ({ push() {}, usage: () => undefined, model: () => undefined }),
    classifyError: (status) => classifyHttpStatus(status),
  };
}

let nextId = 1;
function provider(p: Partial<ProviderRecord> & { name: string }): ProviderRecord {
  return { id: nextId++, type: 'claude', url: 'http://x', key: 'k', weight: 1, priority: 0, groups: ['default'], models: [], modelRedirects: {}, costMultiplier: 1, limits: {}, enabled: true, acceptsTranslation: false, timeouts: DEFAULT_TIMEOUTS, managedBy: 'config', ...p };
}

function directory(list: ProviderRecord[]): ProviderDirectory {
  const adapters = [adapter('claude', 'anthropic-messages'), adapter('openai', 'openai-chat'), adapter('codex', 'openai-responses', ['generate'])];
  return {
    list: () => list,
    get: (id) => list.find((p) => p.id === id),
    byName: (n) => list.find((p) => p.name === n),
    adapter: (t) => adapters.find((a) => a.type === t),
    adapters: () => adapters,
    refresh: async () => {},
  };
}

const messages: Endpoint = { format: 'anthropic-messages', operation: 'generate', upstreamPath: '/messages', pathStream: false };
const identity = (providerGroups: string[]): Identity => ({ userId: 1, userName: 'u', keyId: 9, keyName: 'k', groupName: undefined, providerGroups, allowedModels: [], limits: { key: {}, user: {}, group: {} } });

describe('balancer candidates', function () {
  const providers = [
    provider({ name: 'native' }),
    provider({ name: 'off', enabled: false }),
    provider({ name: 'alien', type: 'mistral' }),
    provider({ name: 'other-group', groups: ['vip'] }),
    provider({ name: 'gpt-only', models: ['gpt-*'] }),
    provider({ name: 'redirected', models: ['claude-haiku-4-5'], modelRedirects: { 'claude-3-5-haiku-*': 'claude-haiku-4-5' } }),
    provider({ name: 'openai-no', type: 'openai' }),
    provider({ name: 'openai-any', type: 'openai', acceptsTranslation: true }),
    provider({ name: 'openai-list', type: 'openai', acceptsTranslation: ['anthropic-messages'] }),
    provider({ name: 'openai-other-list', type: 'openai', acceptsTranslation: ['gemini'] }),
  ];
  const dir = directory(providers);

  it('keeps providers that may serve the request and names why each other one is left out', () => {
    const { candidates, excluded } = staticCandidates({ clientFormat: 'anthropic-messages', endpoint: messages, identity: identity(['default']), model: 'claude-3-5-haiku-20241022' }, dir);
    expect(candidates.map((c) => [c.provider.name, c.translated, c.model])).to.deep.equal([
      ['native', false, 'claude-3-5-haiku-20241022'],
      ['redirected', false, 'claude-haiku-4-5'],
      ['openai-any', true, 'claude-3-5-haiku-20241022'],
      ['openai-list', true, 'claude-3-5-haiku-20241022'],
    ]);
    expect(Object.fromEntries(excluded.map((e) => [e.name, e.reason]))).to.deep.equal({
      off: 'disabled',
      alien: 'no_adapter',
      'other-group': 'group',
      'gpt-only': 'model',
      'openai-no': 'format',
      'openai-other-list': 'format',
    });
  });

  it('`*` and no identity open every group; an operation the adapter lacks excludes it', () => {
    const vip = provider({ name: 'vip', groups: ['vip'] });
    const codex = provider({ name: 'codex', type: 'codex', acceptsTranslation: true });
    const d = directory([vip, codex]);
    const count: Endpoint = { ...messages, operation: 'count_tokens', upstreamPath: '/messages/count_tokens' };
    expect(staticCandidates({ clientFormat: 'anthropic-messages', endpoint: messages, identity: identity(['*']), model: 'm' }, d).candidates).to.have.length(2);
    expect(staticCandidates({ clientFormat: 'anthropic-messages', endpoint: messages, identity: undefined, model: 'm' }, d).candidates).to.have.length(2);
    const r = staticCandidates({ clientFormat: 'anthropic-messages', endpoint: count, identity: undefined, model: 'm' }, d);
    expect(r.excluded).to.deep.equal([{ id: codex.id, name: 'codex', reason: 'operation' }]);
  });
});

describe('balancer session id', function () {
  const uuid = '3f0c6a8e-1b2d-4c5e-9f70-0a1b2c3d4e5f';
  const ex = (headers: Record<string, string>, body: Record<string, unknown>, keyId = 9) => deriveSession({ headers, body, identity: { ...identity(['*']), keyId } });

  it('Claude Code: header, metadata.user_id with _session_<uuid>, or its JSON form', () => {
    expect(ex({ 'x-claude-code-session-id': uuid }, {})).to.deep.equal({ id: uuid, source: 'claude-code' });
    expect(ex({}, { metadata: { user_id: `user_abc123_account_${'1'.repeat(8)}_session_${uuid}` } })).to.deep.equal({ id: uuid, source: 'claude-code' });
    expect(ex({}, { metadata: { user_id: JSON.stringify({ device_id: 'd', session_id: uuid }) } })).to.deep.equal({ id: uuid, source: 'claude-code' });
  });

  it('Codex: session_id header, prompt_cache_key, previous_response_id; Gemini CLI: session_id', () => {
    expect(ex({ session_id: 'abc-123' }, {})).to.deep.equal({ id: 'abc-123', source: 'codex' });
    expect(ex({ session_id: 'g1', 'user-agent': 'GeminiCLI/0.9' }, {})).to.deep.equal({ id: 'g1', source: 'gemini-cli' });
    expect(ex({}, { prompt_cache_key: 'pck' })).to.deep.equal({ id: 'pck', source: 'codex' });
    expect(ex({}, { previous_response_id: 'resp_1' })).to.deep.equal({ id: 'resp_1', source: 'codex' });
    expect(ex({}, { request: { session_id: 'inner' } })).to.deep.equal({ id: 'inner', source: 'gemini-cli' });
  });

  it('otherwise hashes key id and first user message: same conversation, same id; other key, other id', () => {
    const turn1 = { messages: [{ role: 'user', content: 'fix the bug' }] };
    const turn2 = { messages: [{ role: 'user', content: 'fix the bug' }, { role: 'assistant', content: 'done' }, { role: 'user', content: 'thanks' }] };
    const a = ex({}, turn1)!;
    expect(a.source).to.equal('hash');
    expect(a.id).to.match(/^h:[0-9a-f]{32}$/);
    expect(ex({}, turn2)!.id).to.equal(a.id);
    expect(ex({}, turn1, 10)!.id).not.to.equal(a.id);
    expect(ex({}, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })!.source).to.equal('hash');
    expect(ex({}, {})).to.equal(undefined);
  });
});
