import { classifyHttpStatus, forwardableRequestHeaders, joinUpstreamUrl, type ProviderAdapter } from '@cch/core';
import { extractClaudeUsage } from './usage.ts';
import { createClaudeStreamParser } from './stream.ts';

const DEFAULT_VERSION = '2023-06-01';

/** OAuth access tokens (Claude subscriptions) go as Bearer; API keys as x-api-key. */
function authHeaders(key: string): Record<string, string> {
  if (key.startsWith('sk-ant-oat') || key.startsWith('bearer:')) return { authorization: `Bearer ${key.replace(/^bearer:/, '')}` };
  return { 'x-api-key': key };
}

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
      headers: { ...h, ...authHeaders(provider.key) },
      body,
    };
  },
  extractUsage: (body) => extractClaudeUsage((body as { usage?: unknown } | undefined)?.usage),
  extractModel: (body) => {
    const m = (body as { model?: unknown } | undefined)?.model;
    return typeof m === 'string' ? m : undefined;
  },
  createStreamParser: createClaudeStreamParser,
  classifyError(status, body) {
    if (status === 400 || status === 413) return 'client';
    if (status === 529) return 'overloaded';
    if (status === 429) return 'rate_limited';
    if (status === 403 && body.includes('permission_error')) return 'auth';
    return classifyHttpStatus(status);
  },
};
