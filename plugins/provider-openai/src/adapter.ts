import type { ProviderAdapter } from '@cch/core';
import { withStreamUsage } from './body.ts';
import { classifyOpenAIError } from './errors.ts';
import { openaiHeaders } from './headers.ts';
import { createChatStreamParser } from './stream.ts';
import { openaiUrl } from './url.ts';
import { extractChatUsage, modelField, usageField } from './usage.ts';

/**
 * `openai`: any OpenAI-compatible Chat Completions service. The body goes upstream as the client
 * sent it, except that a streaming request always asks for the final usage chunk.
 */
export const openaiAdapter: ProviderAdapter = {
  type: 'openai',
  format: 'openai-chat',
  operations: ['generate'],
  buildRequest({ provider, endpoint, headers, query, body, stream }) {
    return {
      url: openaiUrl(provider.url, endpoint.upstreamPath, query),
      method: 'POST',
      headers: openaiHeaders(headers, provider.key),
      body: stream ? withStreamUsage(body) : body,
    };
  },
  extractUsage: (body) => extractChatUsage(usageField(body)),
  extractModel: modelField,
  createStreamParser: createChatStreamParser,
  classifyError: (status, body) => classifyOpenAIError(status, body),
};
