/**
 * How a Gemini credential goes upstream: API keys as `x-goog-api-key` (never `?key=`, which
 * would land in access logs), OAuth access tokens (`ya29.…`, or any key written `bearer:…`) as
 * `Authorization: Bearer`.
 */
export function geminiAuthHeaders(key: string): Record<string, string> {
  if (key.startsWith('bearer:')) return { authorization: `Bearer ${key.slice(7)}` };
  if (key.startsWith('ya29.')) return { authorization: `Bearer ${key}` };
  return { 'x-goog-api-key': key };
}

/** Code Assist takes only OAuth access tokens. */
export function bearerHeaders(key: string): Record<string, string> {
  return { authorization: `Bearer ${key.replace(/^bearer:/, '')}` };
}
