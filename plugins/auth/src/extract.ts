import type { IncomingHttpHeaders } from 'node:http';

/**
 * The client's key from `x-api-key`, `Authorization: Bearer`, `x-goog-api-key` or `?key=`.
 * Returns `'conflict'` when two different keys were sent.
 */
export function extractClientKey(headers: IncomingHttpHeaders, querystring: string): string | undefined | 'conflict' {
  const found = new Set<string>();
  const add = (v: string | string[] | undefined) => {
    const s = Array.isArray(v) ? v[0] : v;
    if (s && s.trim()) found.add(s.trim());
  };
  add(headers['x-api-key']);
  add(headers['x-goog-api-key']);
  const auth = headers.authorization;
  if (auth && /^bearer\s+/i.test(auth)) add(auth.replace(/^bearer\s+/i, ''));
  if (querystring.includes('key=')) add(new URLSearchParams(querystring).get('key') ?? undefined);
  if (found.size > 1) return 'conflict';
  return found.values().next().value;
}
