import type { IncomingHttpHeaders, ServerResponse } from 'node:http';

/** Headers that describe one hop, or carry the client's identity, and never cross the proxy. */
const REQUEST_DROP = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'content-encoding',
  'accept-encoding',
  'authorization',
  'x-api-key',
  'x-goog-api-key',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'expect',
]);

const RESPONSE_DROP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'set-cookie',
  'date',
  'server',
  'alt-svc',
]);

/**
 * Client headers that may go upstream: everything but hop-by-hop, auth and client-identity
 * headers. Beta and version headers (`anthropic-beta`, `anthropic-version`, …) survive.
 */
export function forwardableRequestHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || REQUEST_DROP.has(name) || name.startsWith('x-cch-')) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Upstream response headers to pass to the client. */
export function forwardableResponseHeaders(headers: IncomingHttpHeaders, dropEncoding: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || RESPONSE_DROP.has(name) || (dropEncoding && name === 'content-encoding')) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/**
 * Set the forwardable upstream response headers on the client's response: what
 * `ctx.set(forwardableResponseHeaders(...))` does, without the intermediate object.
 */
export function setForwardableResponseHeaders(res: ServerResponse, headers: IncomingHttpHeaders, dropEncoding: boolean): void {
  if (res.headersSent) return;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value === undefined || RESPONSE_DROP.has(name) || (dropEncoding && name === 'content-encoding')) continue;
    res.setHeader(name, Array.isArray(value) ? value.join(', ') : value);
  }
}
