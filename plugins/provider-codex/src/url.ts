import { joinUpstreamUrl } from '@cch/core';

const VERSION_SEGMENT = /\/v\d+(?:beta\d*|alpha\d*)?(?:\/|$)/;
const BACKEND_API = /\/backend-api(?:\/|$)/;

function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '');
}

/**
 * True for ChatGPT-backend base URLs (`https://chatgpt.com/backend-api/codex`), which take a
 * ChatGPT access token and have no version root.
 */
export function isChatGptBackend(base: string): boolean {
  return BACKEND_API.test(pathOf(base));
}

/**
 * Upstream URL for the Responses API.
 * - ChatGPT backend: `{base}/responses`; a bare `…/backend-api` gets Codex's `/codex` prefix.
 * - Otherwise OpenAI-style: a version segment anywhere in the base path (`…/v1`,
 *   `…/openai/v1`, Cloudflare's `/v1/{account}/{gateway}/openai`) means the base is complete;
 *   without one, `/v1` is added.
 */
export function responsesUrl(base: string, path: string, query: string): string {
  const trimmed = base.replace(/\/+$/, '');
  const p = pathOf(trimmed);
  if (BACKEND_API.test(p)) return `${trimmed}${/\/backend-api$/.test(p) ? '/codex' : ''}${path}${query}`;
  if (VERSION_SEGMENT.test(p)) return `${trimmed}${path}${query}`;
  return joinUpstreamUrl(trimmed, '/v1', path, query);
}
