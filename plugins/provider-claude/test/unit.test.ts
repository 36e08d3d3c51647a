import { expect } from 'chai';
import { claudeAuthHeaders } from '../src/credentials.ts';
import { classifyClaudeError } from '../src/errors.ts';
import { createClaudeStreamParser } from '../src/stream.ts';
import { everySplit, fixture } from './helpers.ts';

describe('provider-claude: units', () => {
  it('auth headers per credential kind', () => {
    expect(claudeAuthHeaders('sk-ant-api03-x', 'b1')).to.deep.equal({ 'x-api-key': 'sk-ant-api03-x' });
    expect(claudeAuthHeaders('sk-ant-oat01-x', undefined)).to.deep.equal({ authorization: 'Bearer sk-ant-oat01-x', 'anthropic-beta': 'oauth-2025-04-20' });
    expect(claudeAuthHeaders('sk-ant-oat01-x', 'a, b')).to.deep.equal({ authorization: 'Bearer sk-ant-oat01-x', 'anthropic-beta': 'a,b,oauth-2025-04-20' });
    expect(claudeAuthHeaders('bearer:gateway-token', 'a')).to.deep.equal({ authorization: 'Bearer gateway-token' });
  });

  it('stream parser: usage and model wherever the chunks split', () => {
    everySplit(fixture('stream-thinking.sse'), (pieces) => {
      const p = createClaudeStreamParser();
      for (const piece of pieces) p.push(piece);
      expect(p.usage()).to.include({ inputTokens: 3, outputTokens: 96, cacheReadTokens: 20110, cacheCreationTokens: 412 });
      expect(p.model()).to.equal('claude-opus-4-1-20250805');
    });
  });

  it('classifies errors', () => {
    expect(classifyClaudeError(400, Buffer.from('{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}'))).to.equal('client');
    expect(classifyClaudeError(400, fixture('error-credit-balance.json'))).to.equal('auth');
    expect(classifyClaudeError(413, Buffer.alloc(0))).to.equal('client');
    expect(classifyClaudeError(401, Buffer.alloc(0))).to.equal('auth');
    expect(classifyClaudeError(403, Buffer.alloc(0))).to.equal('auth');
    expect(classifyClaudeError(404, Buffer.alloc(0))).to.equal('not_found');
    expect(classifyClaudeError(429, Buffer.alloc(0))).to.equal('rate_limited');
    expect(classifyClaudeError(500, Buffer.alloc(0))).to.equal('server');
    expect(classifyClaudeError(529, fixture('error-overloaded.json'))).to.equal('overloaded');
  });
});
