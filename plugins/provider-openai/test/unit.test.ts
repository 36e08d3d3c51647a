import { expect } from 'chai';
import { withStreamUsage } from '../src/body.ts';
import { classifyOpenAIError } from '../src/errors.ts';
import { createChatStreamParser } from '../src/stream.ts';
import { openaiUrl } from '../src/url.ts';
import { extractChatUsage } from '../src/usage.ts';
import { everySplit, fixture } from './helpers.ts';

describe('provider-openai: units', () => {
  describe('openaiUrl', () => {
    const cases: [string, string][] = [
      ['https://api.openai.com', 'https://api.openai.com/v1/chat/completions'],
      ['https://api.openai.com/', 'https://api.openai.com/v1/chat/completions'],
      ['https://api.openai.com/v1', 'https://api.openai.com/v1/chat/completions'],
      ['https://api.openai.com/v1/', 'https://api.openai.com/v1/chat/completions'],
      ['https://openrouter.ai/api/v1', 'https://openrouter.ai/api/v1/chat/completions'],
      ['https://api.groq.com/openai', 'https://api.groq.com/openai/v1/chat/completions'],
      ['https://generativelanguage.googleapis.com/v1beta/openai/', 'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions'],
      ['https://open.bigmodel.cn/api/paas/v4', 'https://open.bigmodel.cn/api/paas/v4/chat/completions'],
      ['https://gateway.ai.cloudflare.com/v1/acct/gw/openai', 'https://gateway.ai.cloudflare.com/v1/acct/gw/openai/chat/completions'],
    ];
    for (const [base, want] of cases) it(`${base} → ${want}`, () => expect(openaiUrl(base, '/chat/completions', '')).to.equal(want));
    it('keeps the query', () => expect(openaiUrl('https://x.test', '/chat/completions', '?api-version=1')).to.equal('https://x.test/v1/chat/completions?api-version=1'));
  });

  describe('withStreamUsage', () => {
    it('splices the option in without touching other bytes', () => {
      const b = Buffer.from(' {"stream":true,"model":"m"}');
      expect(withStreamUsage(b).toString()).to.equal(' {"stream_options":{"include_usage":true},"stream":true,"model":"m"}');
    });
    it('leaves include_usage: true alone (same buffer)', () => {
      const b = Buffer.from('{"stream":true,"stream_options":{"include_usage":true}}');
      expect(withStreamUsage(b)).to.equal(b);
    });
    it('merges into existing options and overrides false or null', () => {
      expect(JSON.parse(withStreamUsage(Buffer.from('{"stream":true,"stream_options":{"include_usage":false,"x":1}}')).toString())).to.deep.equal({
        stream: true,
        stream_options: { include_usage: true, x: 1 },
      });
      expect(JSON.parse(withStreamUsage(Buffer.from('{"stream":true,"stream_options":null}')).toString()).stream_options).to.deep.equal({ include_usage: true });
    });
    it('a "stream_options" string inside a message is not the option', () => {
      const out = JSON.parse(withStreamUsage(Buffer.from('{"stream":true,"messages":[{"content":"\\"stream_options\\""}]}')).toString());
      expect(out.stream_options).to.deep.equal({ include_usage: true });
      expect(out.messages[0].content).to.equal('"stream_options"');
    });
  });

  describe('usage', () => {
    it('maps OpenAI usage: cached out of input, reasoning within output', () => {
      const u = extractChatUsage({ prompt_tokens: 100, completion_tokens: 40, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 25 } });
      expect(u).to.deep.equal({ inputTokens: 40, outputTokens: 40, cacheCreationTokens: 0, cacheReadTokens: 60, reasoningTokens: 25 });
    });
    it('reads DeepSeek\'s prompt_cache_hit_tokens and tolerates nulls', () => {
      expect(extractChatUsage({ prompt_tokens: 50, completion_tokens: 5, prompt_cache_hit_tokens: 20, prompt_tokens_details: null })).to.include({ inputTokens: 30, cacheReadTokens: 20 });
      expect(extractChatUsage(null)).to.equal(undefined);
    });
  });

  describe('stream parser', () => {
    it('finds usage and model wherever the chunks split', () => {
      const bytes = fixture('chat-stream.sse');
      everySplit(bytes, (pieces) => {
        const p = createChatStreamParser();
        for (const piece of pieces) p.push(piece);
        expect(p.usage()).to.deep.equal({ inputTokens: 159, outputTokens: 14, cacheCreationTokens: 0, cacheReadTokens: 1152, reasoningTokens: 0 });
        expect(p.model()).to.equal('gpt-4o-mini-2024-07-18');
        expect(p.error!()).to.equal(undefined);
      });
    });
    it('reports an in-stream error', () => {
      const p = createChatStreamParser();
      p.push(Buffer.from('data: {"error":{"message":"boom","type":"server_error"}}\n\n'));
      expect(p.error!()).to.equal('boom');
    });
  });

  describe('classifyOpenAIError', () => {
    const body = (o: object) => Buffer.from(JSON.stringify(o));
    it('400/413/422 → client', () => {
      expect(classifyOpenAIError(400, fixture('error-context-length.json'))).to.equal('client');
      expect(classifyOpenAIError(413, Buffer.alloc(0))).to.equal('client');
      expect(classifyOpenAIError(422, Buffer.from('nope'))).to.equal('client');
    });
    it('401/403 → auth, 404 → not_found', () => {
      expect(classifyOpenAIError(401, body({ error: { code: 'invalid_api_key' } }))).to.equal('auth');
      expect(classifyOpenAIError(403, Buffer.alloc(0))).to.equal('auth');
      expect(classifyOpenAIError(404, body({ error: { code: 'model_not_found' } }))).to.equal('not_found');
    });
    it('429 → rate_limited, but insufficient_quota → auth', () => {
      expect(classifyOpenAIError(429, body({ error: { type: 'requests', code: 'rate_limit_exceeded' } }))).to.equal('rate_limited');
      expect(classifyOpenAIError(429, fixture('error-insufficient-quota.json'))).to.equal('auth');
    });
    it('5xx → server / overloaded', () => {
      expect(classifyOpenAIError(500, Buffer.alloc(0))).to.equal('server');
      expect(classifyOpenAIError(502, Buffer.alloc(0))).to.equal('server');
      expect(classifyOpenAIError(503, Buffer.alloc(0))).to.equal('overloaded');
      expect(classifyOpenAIError(529, Buffer.alloc(0))).to.equal('overloaded');
    });
  });
});
