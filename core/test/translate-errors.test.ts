import { expect } from 'chai';
import { GatewayError } from '../src/errors.ts';
import { clientErrorStatus, droppedFields, geminiEndpoint, translateErrorBody, upstreamTarget } from '../src/formats/translate/index.ts';
import { PAIRS } from './fixtures/translate/helpers.ts';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('translate: errors and endpoints', () => {
  describe('provider error bodies in the client format', () => {
    it('Anthropic overloaded → every other client', () => {
      const body = buf({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_011' });
      expect(translateErrorBody('anthropic-messages', 'openai-chat', 529, body)).to.deep.equal({ error: { message: 'Overloaded', type: 'server_error', code: 'service_unavailable', param: null } });
      expect(translateErrorBody('anthropic-messages', 'gemini', 529, body)).to.deep.equal({ error: { code: 503, message: 'Overloaded', status: 'UNAVAILABLE' } });
      expect(clientErrorStatus('openai-chat', 529)).to.equal(503);
      expect(clientErrorStatus('anthropic-messages', 529)).to.equal(529);
    });

    it('OpenAI quota and rate limits → Anthropic and Gemini', () => {
      const quota = buf({ error: { message: 'You exceeded your current quota', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } });
      expect(translateErrorBody('openai-chat', 'anthropic-messages', 429, quota)).to.deep.equal({ type: 'error', error: { type: 'rate_limit_error', message: 'You exceeded your current quota' } });
      const rl = buf({ error: { message: 'Rate limit reached for gpt-4.1', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
      expect(translateErrorBody('openai-responses', 'gemini', 429, rl)).to.deep.equal({ error: { code: 429, message: 'Rate limit reached for gpt-4.1', status: 'RESOURCE_EXHAUSTED' } });
      const ctx = buf({ error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
      expect(translateErrorBody('openai-chat', 'anthropic-messages', 400, ctx)).to.deep.equal({ type: 'error', error: { type: 'invalid_request_error', message: "This model's maximum context length is 128000 tokens." } });
    });

    it('Gemini statuses (also in the array form) → Anthropic and OpenAI', () => {
      const denied = buf([{ error: { code: 403, message: 'Permission denied on resource project x.', status: 'PERMISSION_DENIED' } }]);
      expect(translateErrorBody('gemini', 'anthropic-messages', 403, denied)).to.deep.equal({ type: 'error', error: { type: 'permission_error', message: 'Permission denied on resource project x.' } });
      const bad = buf({ error: { code: 400, message: '* GenerateContentRequest.contents: contents is not specified', status: 'INVALID_ARGUMENT' } });
      expect(translateErrorBody('gemini', 'openai-responses', 400, bad)).to.deep.equal({
        error: { message: '* GenerateContentRequest.contents: contents is not specified', type: 'invalid_request_error', code: 'invalid_request', param: null },
      });
    });

    it('falls back on the HTTP status for bodies it cannot read', () => {
      expect(translateErrorBody('openai-chat', 'anthropic-messages', 502, buf('<html>Bad Gateway</html>'))).to.deep.equal({ type: 'error', error: { type: 'api_error', message: '<html>Bad Gateway</html>' } });
      expect(translateErrorBody('gemini', 'openai-chat', 401, buf(''))).to.deep.equal({ error: { message: 'upstream error (HTTP 401)', type: 'invalid_request_error', code: 'invalid_api_key', param: null } });
    });
  });

  describe('upstream endpoints', () => {
    it('Gemini puts model and stream in the URL', () => {
      expect(geminiEndpoint('gemini-2.5-pro', true)).to.deep.equal({ upstreamPath: '/models/gemini-2.5-pro:streamGenerateContent', query: '?alt=sse' });
      expect(geminiEndpoint('tunedModels/my model', false)).to.deep.equal({ upstreamPath: '/models/tunedModels%2Fmy%20model:generateContent', query: '' });
      expect(upstreamTarget('gemini', 'gemini-2.5-flash', false)).to.deep.equal({
        endpoint: { format: 'gemini', operation: 'generate', upstreamPath: '/models/gemini-2.5-flash:generateContent', pathStream: false, pathModel: 'gemini-2.5-flash' },
        query: '',
      });
      expect(() => upstreamTarget('gemini', undefined, true)).to.throw(GatewayError);
    });

    it('the others use fixed paths', () => {
      expect(upstreamTarget('anthropic-messages', 'x', true).endpoint.upstreamPath).to.equal('/messages');
      expect(upstreamTarget('openai-chat', 'x', true).endpoint.upstreamPath).to.equal('/chat/completions');
      expect(upstreamTarget('openai-responses', undefined, false)).to.deep.equal({ endpoint: { format: 'openai-responses', operation: 'generate', upstreamPath: '/responses', pathStream: false }, query: '' });
    });
  });

  it('declares what each pair can drop', () => {
    for (const [from, to] of PAIRS) expect(droppedFields(from, to).length, `${from} → ${to}`).to.be.greaterThan(3);
    expect(droppedFields('gemini', 'gemini')).to.deep.equal([]);
  });
});
