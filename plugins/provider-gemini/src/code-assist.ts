import { GatewayError, type ProviderAdapter } from '@cch/core';
import type { AuthHeaders } from './adapter.ts';
import { bearerHeaders } from './credentials.ts';
import { classifyGoogleError } from './errors.ts';
import { googleHeaders } from './headers.ts';
import { createGeminiStreamParser } from './stream.ts';
import { extractGeminiUsage, servedModel, unwrapResponse } from './usage.ts';

/** `https://cloudcode-pa.googleapis.com` with or without a trailing `/v1internal`. */
function codeAssistBase(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1internal$/, '');
}

/**
 * `gemini-cli`: Gemini Code Assist (`cloudcode-pa.googleapis.com/v1internal:{method}`), the API
 * Gemini CLI uses with a Google login. Every `v1internal` method passes through — generation,
 * token counting and the control calls (loadCodeAssist, onboardUser, retrieveUserQuota, …) —
 * with the provider's OAuth access token. Bodies are `{ model, project, request }` and answers
 * `{ response }`; usage is read inside the envelope.
 */
export function createGeminiCliAdapter(auth: AuthHeaders = (p) => bearerHeaders(p.key)): ProviderAdapter {
  return {
    type: 'gemini-cli',
    format: 'gemini',
    operations: ['generate', 'count_tokens', 'code_assist'],
    serves: (endpoint) => endpoint.method !== undefined,
    buildRequest({ provider, endpoint, headers, query, body, method }) {
      if (endpoint.method === undefined) {
        throw new GatewayError(404, 'not_found', `provider "${provider.name}" (type gemini-cli) serves Gemini Code Assist, not the Gemini API; use a gemini provider`);
      }
      const get = method === 'GET' || body.length === 0;
      return {
        url: `${codeAssistBase(provider.url)}${endpoint.upstreamPath}${query}`,
        method: get ? 'GET' : 'POST',
        headers: { ...googleHeaders(headers, !get), ...auth(provider) },
        body: get ? undefined : body,
      };
    },
    extractUsage: (body) => extractGeminiUsage(unwrapResponse(body)?.usageMetadata),
    extractModel: servedModel,
    createStreamParser: createGeminiStreamParser,
    classifyError: (status, body) => classifyGoogleError(status, body),
    // Generation needs the client's Code Assist project; `loadCodeAssist` (what Gemini CLI calls
    // first) checks the access token alone.
    probe: (provider) => ({
      url: `${codeAssistBase(provider.url)}/v1internal:loadCodeAssist`,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(provider) },
      body: JSON.stringify({ metadata: { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' } }),
    }),
  };
}

export const geminiCliAdapter: ProviderAdapter = createGeminiCliAdapter();
