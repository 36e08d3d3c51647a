import type { IncomingHttpHeaders } from 'node:http';
import { forwardableRequestHeaders } from '@cch/core';

/**
 * The client's organisation and project belong to the client's own OpenAI account; sent with the
 * provider's key they make OpenAI refuse the request (`mismatched_organization`).
 */
const CLIENT_ACCOUNT = ['openai-organization', 'openai-project'];

/** Client headers to forward to an OpenAI-compatible upstream, plus the provider's Bearer key. */
export function openaiHeaders(headers: IncomingHttpHeaders, key: string): Record<string, string> {
  const h = forwardableRequestHeaders(headers);
  for (const name of CLIENT_ACCOUNT) delete h[name];
  h['content-type'] = 'application/json';
  h.authorization = `Bearer ${key}`;
  return h;
}
