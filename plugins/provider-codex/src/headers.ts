import type { IncomingHttpHeaders } from 'node:http';
import { forwardableRequestHeaders } from '@cch/core';
import { chatgptAccountId } from './credentials.ts';

/** Headers naming the client's own OpenAI / ChatGPT account; the provider's account replaces them. */
const CLIENT_ACCOUNT = ['openai-organization', 'openai-project', 'chatgpt-account-id'];

/**
 * Client headers for the Responses upstream, plus the provider's credential. On the ChatGPT
 * backend the account id comes from the access token, and Codex's `openai-beta` and
 * `originator` headers are filled in when the client did not send them.
 */
export function codexHeaders(headers: IncomingHttpHeaders, key: string, chatgpt: boolean): Record<string, string> {
  const h = forwardableRequestHeaders(headers);
  for (const name of CLIENT_ACCOUNT) delete h[name];
  h['content-type'] = 'application/json';
  h.authorization = `Bearer ${key}`;
  if (chatgpt) {
    const account = chatgptAccountId(key);
    if (account) h['chatgpt-account-id'] = account;
    h['openai-beta'] ??= 'responses=experimental';
    h.originator ??= 'codex_cli_rs';
  }
  return h;
}
