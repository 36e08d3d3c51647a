import { expect } from 'chai';
import type { Identity } from '@cch/core';
import { sessionIdOf, sessionOf, type SessionInput } from '../src/index.ts';

const identity = (keyId: number) => ({ keyId }) as Identity;
const ex = (over: Partial<SessionInput>): SessionInput => ({ headers: {}, body: {}, identity: identity(7), ...over });

describe('sessionIdOf', () => {
  it('uses exchange.sessionId when a plugin set it', () => {
    expect(sessionOf(ex({ sessionId: 'set', headers: { 'x-claude-code-session-id': 'other' } }))).to.deep.equal({ id: 'set', source: 'exchange' });
  });

  it('reads Claude Code: the header, the legacy metadata.user_id and its JSON form', () => {
    expect(sessionIdOf(ex({ headers: { 'x-claude-code-session-id': 'abc-123-def' } }))).to.equal('abc-123-def');
    const legacy = 'user_0123abcd_account_0b6f4f55-1111-4222-8333-944444444444_session_5c1f6c1e-aaaa-4bbb-8ccc-dddddddddddd';
    expect(sessionOf(ex({ body: { metadata: { user_id: legacy } } }))).to.deep.equal({ id: '5c1f6c1e-aaaa-4bbb-8ccc-dddddddddddd', source: 'claude-code' });
    const json = JSON.stringify({ device_id: 'd', account_uuid: 'a', session_id: 'sess-json-0001' });
    expect(sessionIdOf(ex({ body: { metadata: { user_id: json } } }))).to.equal('sess-json-0001');
  });

  it('reads Codex: the session_id header, else prompt_cache_key', () => {
    expect(sessionOf(ex({ headers: { session_id: 'codex-1' }, body: { prompt_cache_key: 'pck' } }))).to.deep.equal({ id: 'codex-1', source: 'codex' });
    expect(sessionIdOf(ex({ body: { prompt_cache_key: 'pck-1' } }))).to.equal('pck-1');
  });

  it('reads Gemini CLI: session_id at the top or inside the Code Assist request', () => {
    expect(sessionIdOf(ex({ body: { session_id: 'g-1' } }))).to.equal('g-1');
    expect(sessionOf(ex({ body: { model: 'gemini-2.5-pro', request: { session_id: 'g-2', contents: [] } } }))).to.deep.equal({ id: 'g-2', source: 'gemini-cli' });
  });

  it('otherwise hashes the key and the first user message: stable over the turns of a conversation', () => {
    const turn1 = ex({ body: { messages: [{ role: 'user', content: 'fix the bug' }] } });
    const turn2 = ex({ body: { messages: [{ role: 'user', content: 'fix the bug' }, { role: 'assistant', content: 'done' }, { role: 'user', content: 'thanks' }] } });
    const id = sessionIdOf(turn1);
    expect(id).to.match(/^h:[0-9a-f]{32}$/);
    expect(sessionIdOf(turn2)).to.equal(id);
    expect(sessionIdOf({ ...turn1, identity: identity(8) })).to.not.equal(id);
    expect(sessionIdOf(ex({ body: { messages: [{ role: 'user', content: 'another task' }] } }))).to.not.equal(id);
    // The same conversation in Gemini and Responses shapes hashes alike within each format.
    const gem = ex({ body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } });
    expect(sessionIdOf(gem)).to.equal(sessionIdOf(ex({ body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }, { role: 'model', parts: [{ text: 'yo' }] }] } })));
    expect(sessionIdOf(ex({ body: { input: 'hello' } }))).to.match(/^h:/);
  });

  it('falls back to the key when there is no user message at all', () => {
    expect(sessionOf(ex({ body: {} }))).to.deep.equal({ id: 'k:7', source: 'key' });
  });

  it('keeps ids printable and bounded', () => {
    expect(sessionIdOf(ex({ headers: { 'x-claude-code-session-id': ` a\nb\u00e9c${'x'.repeat(300)}` } }))).to.equal(`abc${'x'.repeat(197)}`);
  });
});
