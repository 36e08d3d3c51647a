import { forwardableRequestHeaders, joinUpstreamUrl, type ProviderAdapter } from '@cch/core';
import { claudeAuthHeaders } from './credentials.ts';
import { classifyClaudeError } from './errors.ts';
import { createClaudeStreamParser } from './stream.ts';
import { extractClaudeUsage } from './usage.ts';

const DEFAULT_VERSION = '2023-06-01';

/**
 * `claude`: the Anthropic Messages API with an API key (`x-api-key`) or a Claude OAuth access
 * token (`Authorization: Bearer` + the OAuth beta). The body goes upstream byte for byte.
 */
export const claudeAdapter: ProviderAdapter = {
  type: 'claude',
  format: 'anthropic-messages',
  operations: ['generate', 'count_tokens'],
  buildRequest({ provider, endpoint, headers, query, body }) {
    const h = forwardableRequestHeaders(headers);
    h['anthropic-version'] ??= DEFAULT_VERSION;
    h['content-type'] = 'application/json';
    return {
      url: joinUpstreamUrl(provider.url, '/v1', endpoint.upstreamPath, query),
      method: 'POST',
      headers: { ...h, ...claudeAuthHeaders(provider.key, h['anthropic-beta']) },
      body,
    };
  },
  extractUsage: (body) => extractClaudeUsage((body as { usage?: unknown } | undefined)?.usage),
  extractModel: (body) => {
    const m = (body as { model?: unknown } | undefined)?.model;
    return typeof m === 'string' ? m : undefined;
  },
  createStreamParser: createClaudeStreamParser,
  classifyError: (status, body) => classifyClaudeError(status, body),
};
