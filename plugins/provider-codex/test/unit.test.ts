import { expect } from 'chai';
import { chatgptAccountId } from '../src/credentials.ts';
import { classifyResponsesError } from '../src/errors.ts';
import { createResponsesStreamParser } from '../src/stream.ts';
import { isChatGptBackend, responsesUrl } from '../src/url.ts';
import { extractResponsesUsage } from '../src/usage.ts';
import { everySplit, fixture } from './helpers.ts';

describe('provider-codex: units', () => {
  describe('responsesUrl', () => {
    const cases: [string, string][] = [
      ['https://api.openai.com', 'https://api.openai.com/v1/responses'],
      ['https://api.openai.com/v1/', 'https://api.openai.com/v1/responses'],
      ['https://my-resource.openai.azure.com/openai/v1', 'https://my-resource.openai.azure.com/openai/v1/responses'],
      ['https://chatgpt.com/backend-api/codex', 'https://chatgpt.com/backend-api/codex/responses'],
      ['https://chatgpt.com/backend-api/codex/', 'https://chatgpt.com/backend-api/codex/responses'],
      ['https://chatgpt.com/backend-api', 'https://chatgpt.com/backend-api/codex/responses'],
    ];
    for (const [base, want] of cases) it(`${base} → ${want}`, () => expect(responsesUrl(base, '/responses', '')).to.equal(want));
    it('detects the ChatGPT backend by path only', () => {
      expect(isChatGptBackend('https://chatgpt.com/backend-api/codex')).to.equal(true);
      expect(isChatGptBackend('https://backend-api.example.com/v1')).to.equal(false);
    });
  });

  it('reads the ChatGPT account id from an access token, and nothing from other keys', () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(chatgptAccountId(`${b64({})}.${b64({ 'https://api.openai.com/auth': { chatgpt_account_id: 'acct-1' } })}.sig`)).to.equal('acct-1');
    expect(chatgptAccountId('sk-proj-abc')).to.equal(undefined);
    expect(chatgptAccountId('a.%%%.c')).to.equal(undefined);
  });

  it('maps Responses usage', () => {
    expect(extractResponsesUsage({ input_tokens: 100, input_tokens_details: { cached_tokens: 80 }, output_tokens: 30, output_tokens_details: { reasoning_tokens: 20 } })).to.deep.equal({
      inputTokens: 20,
      outputTokens: 30,
      cacheCreationTokens: 0,
      cacheReadTokens: 80,
      reasoningTokens: 20,
    });
    expect(extractResponsesUsage(null)).to.equal(undefined);
  });

  describe('stream parser', () => {
    it('finds usage and model wherever the chunks split', () => {
      everySplit(fixture('chatgpt-stream.sse'), (pieces) => {
        const p = createResponsesStreamParser();
        for (const piece of pieces) p.push(piece);
        expect(p.usage()).to.deep.equal({ inputTokens: 196, outputTokens: 61, cacheCreationTokens: 0, cacheReadTokens: 8704, reasoningTokens: 0 });
        expect(p.model()).to.equal('gpt-5-codex');
      });
    });
    it('reads streams without event: lines by their type', () => {
      const p = createResponsesStreamParser();
      p.push(Buffer.from('data: {"type":"response.completed","response":{"model":"m","usage":{"input_tokens":5,"output_tokens":2}}}\n\n'));
      expect(p.usage()).to.include({ inputTokens: 5, outputTokens: 2 });
      expect(p.model()).to.equal('m');
    });
    it('reports error events and failed responses', () => {
      const a = createResponsesStreamParser();
      a.push(Buffer.from('event: error\ndata: {"type":"error","code":"server_error","message":"boom"}\n\n'));
      expect(a.error!()).to.equal('boom');
      const b = createResponsesStreamParser();
      b.push(Buffer.from('event: response.failed\ndata: {"type":"response.failed","response":{"model":"m","error":{"code":"server_error","message":"failed hard"},"usage":null}}\n\n'));
      expect(b.error!()).to.equal('failed hard');
    });
  });

  it('classifies errors', () => {
    const j = (o: object) => Buffer.from(JSON.stringify(o));
    expect(classifyResponsesError(400, j({ error: { code: 'unsupported_parameter' } }))).to.equal('client');
    expect(classifyResponsesError(401, Buffer.alloc(0))).to.equal('auth');
    expect(classifyResponsesError(404, Buffer.alloc(0))).to.equal('not_found');
    expect(classifyResponsesError(429, fixture('error-usage-limit.json'))).to.equal('rate_limited');
    expect(classifyResponsesError(429, fixture('error-insufficient-quota.json'))).to.equal('auth');
    expect(classifyResponsesError(500, Buffer.alloc(0))).to.equal('server');
    expect(classifyResponsesError(503, Buffer.alloc(0))).to.equal('overloaded');
  });
});
