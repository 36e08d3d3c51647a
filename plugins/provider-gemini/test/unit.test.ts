import { expect } from 'chai';
import type { BuildRequestInput, Endpoint, ProviderRecord } from '@cch/core';
import { DEFAULT_TIMEOUTS, matchEndpoint } from '@cch/core';
import { geminiAdapter } from '../src/adapter.ts';
import { geminiCliAdapter } from '../src/code-assist.ts';
import { classifyGoogleError } from '../src/errors.ts';
import { createJsonArraySplitter } from '../src/json-array.ts';
import { createGeminiStreamParser } from '../src/stream.ts';
import { extractGeminiUsage } from '../src/usage.ts';
import { everySplit, fixture } from './helpers.ts';

function provider(type: string, url: string, key: string): ProviderRecord {
  return {
    id: 1, name: 'p', type, url, key, weight: 1, priority: 0, groups: ['default'], models: [], modelRedirects: {}, costMultiplier: 1,
    limits: {}, enabled: true, acceptsTranslation: false, timeouts: DEFAULT_TIMEOUTS, managedBy: 'config',
  };
}
function input(p: ProviderRecord, method: string, path: string, body = '{}', query = '', model?: string): BuildRequestInput {
  const endpoint = matchEndpoint(method, path) as Endpoint;
  return { provider: p, endpoint, headers: { authorization: 'Bearer hub_sk_x', 'x-goog-api-key': 'hub_sk_x' }, query, body: Buffer.from(body), model: model ?? endpoint.pathModel, stream: endpoint.pathStream };
}

describe('provider-gemini: units', () => {
  describe('gemini buildRequest', () => {
    const cases: [string, string][] = [
      ['https://generativelanguage.googleapis.com', 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse'],
      ['https://generativelanguage.googleapis.com/', 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse'],
      ['https://generativelanguage.googleapis.com/v1beta', 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse'],
      ['https://generativelanguage.googleapis.com/v1', 'https://generativelanguage.googleapis.com/v1/models/gemini-2.5-pro:streamGenerateContent?alt=sse'],
      ['https://gateway.ai.cloudflare.com/v1/acct/gw/google-ai-studio', 'https://gateway.ai.cloudflare.com/v1/acct/gw/google-ai-studio/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse'],
    ];
    for (const [base, want] of cases) {
      it(`${base} → ${want}`, () => {
        const req = geminiAdapter.buildRequest(input(provider('gemini', base, 'AIza-k'), 'POST', '/v1beta/models/gemini-2.5-pro:streamGenerateContent', '{}', '?alt=sse'));
        expect(req.url).to.equal(want);
      });
    }
    it('uses the redirected model in the path; API key as x-goog-api-key only', () => {
      const req = geminiAdapter.buildRequest(input(provider('gemini', 'https://g.test', 'AIza-k'), 'POST', '/v1beta/models/alias:generateContent', '{}', '', 'gemini-2.5-flash'));
      expect(req.url).to.equal('https://g.test/v1beta/models/gemini-2.5-flash:generateContent');
      expect(req.headers['x-goog-api-key']).to.equal('AIza-k');
      expect(req.headers.authorization).to.equal(undefined);
    });
    it('sends OAuth access tokens as Bearer', () => {
      const req = geminiAdapter.buildRequest(input(provider('gemini', 'https://g.test', 'ya29.tok'), 'POST', '/v1beta/models/m:generateContent'));
      expect(req.headers.authorization).to.equal('Bearer ya29.tok');
      expect(req.headers['x-goog-api-key']).to.equal(undefined);
    });
    it('refuses a Code Assist endpoint', () => {
      expect(() => geminiAdapter.buildRequest(input(provider('gemini', 'https://g.test', 'k'), 'POST', '/v1internal:generateContent'))).to.throw(/gemini-cli/);
    });
  });

  describe('gemini-cli buildRequest', () => {
    it('joins with or without a trailing /v1internal; Bearer only', () => {
      for (const base of ['https://cloudcode-pa.googleapis.com', 'https://cloudcode-pa.googleapis.com/', 'https://cloudcode-pa.googleapis.com/v1internal']) {
        const req = geminiCliAdapter.buildRequest(input(provider('gemini-cli', base, 'ya29.tok'), 'POST', '/gemini/v1internal:streamGenerateContent', '{"model":"m"}', '?alt=sse'));
        expect(req.url).to.equal('https://cloudcode-pa.googleapis.com/v1internal:streamGenerateContent?alt=sse');
        expect(req.headers.authorization).to.equal('Bearer ya29.tok');
        expect(req.headers['x-goog-api-key']).to.equal(undefined);
        expect(req.method).to.equal('POST');
      }
    });
    it('an empty body is a GET without content-type', () => {
      const req = geminiCliAdapter.buildRequest(input(provider('gemini-cli', 'https://c.test', 'tok'), 'GET', '/v1internal:getSetting', ''));
      expect(req).to.include({ method: 'GET', body: undefined });
      expect(req.headers['content-type']).to.equal(undefined);
    });
    it('refuses a Gemini API endpoint', () => {
      expect(() => geminiCliAdapter.buildRequest(input(provider('gemini-cli', 'https://c.test', 'tok'), 'POST', '/v1beta/models/m:generateContent'))).to.throw(/gemini provider/);
    });
  });

  describe('usage', () => {
    it('maps usageMetadata: cached out of input, thoughts into output, tool-use prompt into input', () => {
      expect(extractGeminiUsage({ promptTokenCount: 100, cachedContentTokenCount: 30, candidatesTokenCount: 10, thoughtsTokenCount: 5, toolUsePromptTokenCount: 4 })).to.deep.equal({
        inputTokens: 74,
        outputTokens: 15,
        cacheCreationTokens: 0,
        cacheReadTokens: 30,
        reasoningTokens: 5,
      });
      expect(extractGeminiUsage(undefined)).to.equal(undefined);
    });
  });

  describe('JSON-array splitter', () => {
    it('yields each element whole, braces inside strings and chunk splits notwithstanding', () => {
      const text = '[{"a":"}{\\"]","b":[1,{"c":2}]}\r\n,{"d":"é😀"}]';
      everySplit(Buffer.from(text), (pieces) => {
        const got: unknown[] = [];
        const s = createJsonArraySplitter((t) => got.push(JSON.parse(t)));
        for (const p of pieces) s.push(p);
        expect(got).to.deep.equal([{ a: '}{"]', b: [1, { c: 2 }] }, { d: 'é😀' }]);
      });
    });
  });

  describe('stream parser', () => {
    const expectations: [string, object, string][] = [
      ['stream.sse', { inputTokens: 9, outputTokens: 443, cacheReadTokens: 0, reasoningTokens: 412 }, 'gemini-2.5-flash'],
      ['stream-array.json', { inputTokens: 1530, outputTokens: 234, cacheReadTokens: 0, reasoningTokens: 210 }, 'gemini-2.5-pro'],
      ['code-assist-stream.sse', { inputTokens: 240, outputTokens: 340, cacheReadTokens: 11800, reasoningTokens: 300 }, 'gemini-2.5-pro'],
    ];
    for (const [name, usage, model] of expectations) {
      it(`${name}: usage and model wherever the chunks split`, () => {
        everySplit(fixture(name), (pieces) => {
          const p = createGeminiStreamParser();
          for (const piece of pieces) p.push(piece);
          expect(p.usage()).to.include(usage);
          expect(p.model()).to.equal(model);
          expect(p.error!()).to.equal(undefined);
        });
      });
    }
    it('reports an error element in either framing', () => {
      const a = createGeminiStreamParser();
      a.push(Buffer.from('[{"candidates":[]},\r\n{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]'));
      expect(a.error!()).to.equal('The model is overloaded.');
      const b = createGeminiStreamParser();
      b.push(Buffer.from('data: {"error":{"code":500,"message":"Internal error","status":"INTERNAL"}}\r\n\r\n'));
      expect(b.error!()).to.equal('Internal error');
    });
    it('text that mentions "error" is not an error', () => {
      const p = createGeminiStreamParser();
      p.push(Buffer.from('data: {"candidates":[{"content":{"parts":[{"text":"\\"error\\": none"}]}}],"modelVersion":"m"}\n\n'));
      expect(p.error!()).to.equal(undefined);
    });
  });

  describe('classifyGoogleError', () => {
    const j = (o: object) => Buffer.from(JSON.stringify(o));
    it('400 → client, except key and account problems → auth', () => {
      expect(classifyGoogleError(400, fixture('error-invalid-argument.json'))).to.equal('client');
      expect(classifyGoogleError(400, fixture('error-api-key-invalid.json'))).to.equal('auth');
      expect(classifyGoogleError(400, j({ error: { code: 400, message: 'User location is not supported for the API use.', status: 'FAILED_PRECONDITION' } }))).to.equal('auth');
    });
    it('401/403 → auth, 404 → not_found', () => {
      expect(classifyGoogleError(401, Buffer.alloc(0))).to.equal('auth');
      expect(classifyGoogleError(403, j({ error: { status: 'PERMISSION_DENIED' } }))).to.equal('auth');
      expect(classifyGoogleError(404, j({ error: { status: 'NOT_FOUND' } }))).to.equal('not_found');
    });
    it('RESOURCE_EXHAUSTED → rate_limited whatever the status', () => {
      expect(classifyGoogleError(429, fixture('error-resource-exhausted.json'))).to.equal('rate_limited');
      expect(classifyGoogleError(400, j([{ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } }]))).to.equal('rate_limited');
    });
    it('5xx → server / overloaded / timeout', () => {
      expect(classifyGoogleError(500, j({ error: { status: 'INTERNAL' } }))).to.equal('server');
      expect(classifyGoogleError(503, j({ error: { status: 'UNAVAILABLE' } }))).to.equal('overloaded');
      expect(classifyGoogleError(504, j({ error: { status: 'DEADLINE_EXCEEDED' } }))).to.equal('timeout');
      expect(classifyGoogleError(529, Buffer.alloc(0))).to.equal('overloaded');
    });
  });
});
