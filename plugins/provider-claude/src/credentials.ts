/** Beta flag Anthropic requires with an OAuth (Claude subscription) access token. */
export const OAUTH_BETA = 'oauth-2025-04-20';

/**
 * Auth headers for a Claude credential. API keys go as `x-api-key`. OAuth access tokens go as
 * `Authorization: Bearer` with the OAuth beta flag added to the client's own `anthropic-beta`
 * list (kept in order, no duplicate); `bearer:…` keys (a token for an Anthropic-compatible
 * gateway) go as Bearer without it.
 */
export function claudeAuthHeaders(key: string, clientBeta: string | undefined): Record<string, string> {
  if (key.startsWith('bearer:')) return { authorization: `Bearer ${key.slice(7)}` };
  if (!key.startsWith('sk-ant-oat')) return { 'x-api-key': key };
  const betas = (clientBeta ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (!betas.includes(OAUTH_BETA)) betas.push(OAUTH_BETA);
  return { authorization: `Bearer ${key}`, 'anthropic-beta': betas.join(',') };
}
