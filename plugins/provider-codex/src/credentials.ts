const AUTH_CLAIM = 'https://api.openai.com/auth';

/**
 * The ChatGPT account id inside a ChatGPT access token (a JWT whose
 * `https://api.openai.com/auth` claim names it). The backend needs it as `chatgpt-account-id`.
 * The token is only read, never verified: the upstream does that.
 */
export function chatgptAccountId(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const auth = payload[AUTH_CLAIM] as { chatgpt_account_id?: unknown } | undefined;
    const id = auth?.chatgpt_account_id;
    return typeof id === 'string' && id ? id : undefined;
  } catch {
    return undefined;
  }
}
