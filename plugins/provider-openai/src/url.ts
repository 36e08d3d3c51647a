import { joinUpstreamUrl } from '@cch/core';

const VERSION_SEGMENT = /\/v\d+(?:beta\d*|alpha\d*)?(?:\/|$)/;

/**
 * Upstream URL for an OpenAI-compatible service. OpenAI-style base URLs carry their version root
 * (`https://api.openai.com/v1`, `https://openrouter.ai/api/v1`), sometimes followed by a
 * service prefix (`https://generativelanguage.googleapis.com/v1beta/openai`, Cloudflare's
 * `…/v1/{account}/{gateway}/openai`): a version segment anywhere in the path means the base is
 * complete. A base without one (`https://api.openai.com`, `https://api.groq.com/openai`) gets `/v1`.
 */
export function openaiUrl(base: string, path: string, query: string): string {
  const trimmed = base.replace(/\/+$/, '');
  if (VERSION_SEGMENT.test(trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ''))) return `${trimmed}${path}${query}`;
  return joinUpstreamUrl(trimmed, '/v1', path, query);
}
