import { GatewayError, joinUpstreamUrl, type ProviderAdapter, type ProviderRecord } from '@cch/core';
import { geminiAuthHeaders } from './credentials.ts';
import { classifyGoogleError } from './errors.ts';
import { googleHeaders } from './headers.ts';
import { createGeminiStreamParser } from './stream.ts';
import { extractGeminiUsage, servedModel, unwrapResponse } from './usage.ts';

/** The auth headers for a provider (the plugin passes one that knows refreshed OAuth tokens). */
export type AuthHeaders = (provider: ProviderRecord) => Record<string, string>;

/**
 * `gemini`: the Gemini API (Google AI Studio, `generativelanguage.googleapis.com`). The model
 * lives in the path, so the path is rebuilt with the model after redirect; the body goes as sent.
 */
export function createGeminiAdapter(auth: AuthHeaders = (p) => geminiAuthHeaders(p.key)): ProviderAdapter {
  return {
    type: 'gemini',
    format: 'gemini',
    operations: ['generate', 'count_tokens'],
    serves: (endpoint) => endpoint.method === undefined,
    buildRequest({ provider, endpoint, headers, query, body, model }) {
      const name = model ?? endpoint.pathModel;
      if (endpoint.method !== undefined || name === undefined) {
        throw new GatewayError(404, 'not_found', `provider "${provider.name}" (type gemini) serves the Gemini API, not Gemini Code Assist; use a gemini-cli provider`);
      }
      const action = endpoint.upstreamPath.slice(endpoint.upstreamPath.lastIndexOf(':'));
      const path = `/models/${encodeURIComponent(name.replace(/^models\//, ''))}${action}`;
      return {
        url: joinUpstreamUrl(provider.url, '/v1beta', path, query),
        method: 'POST',
        headers: { ...googleHeaders(headers, true), ...auth(provider) },
        body,
      };
    },
    extractUsage: (body) => extractGeminiUsage(unwrapResponse(body)?.usageMetadata),
    extractModel: servedModel,
    createStreamParser: createGeminiStreamParser,
    classifyError: (status, body) => classifyGoogleError(status, body),
  };
}

export const geminiAdapter: ProviderAdapter = createGeminiAdapter();
