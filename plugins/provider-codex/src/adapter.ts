import type { ProviderAdapter } from '@cch/core';
import { classifyResponsesError } from './errors.ts';
import { codexHeaders } from './headers.ts';
import { createResponsesStreamParser } from './stream.ts';
import { isChatGptBackend, responsesUrl } from './url.ts';
import { extractResponsesUsage, responseModel } from './usage.ts';

/**
 * `codex`: the OpenAI Responses API, as Codex CLI speaks it — on api.openai.com (or any
 * Responses-compatible service) with an API key, or on the ChatGPT backend with an access token.
 * The body goes upstream byte for byte.
 */
export const codexAdapter: ProviderAdapter = {
  type: 'codex',
  format: 'openai-responses',
  operations: ['generate'],
  buildRequest({ provider, endpoint, headers, query, body }) {
    return {
      url: responsesUrl(provider.url, endpoint.upstreamPath, query),
      method: 'POST',
      headers: codexHeaders(headers, provider.key, isChatGptBackend(provider.url)),
      body,
    };
  },
  extractUsage: (body) => extractResponsesUsage((body as { usage?: unknown } | undefined)?.usage),
  extractModel: responseModel,
  createStreamParser: createResponsesStreamParser,
  classifyError: (status, body) => classifyResponsesError(status, body),
};
