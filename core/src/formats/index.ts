/** Wire formats spoken by clients and providers. */
export const WIRE_FORMATS = ['anthropic-messages', 'openai-chat', 'openai-responses', 'gemini'] as const;
export type WireFormat = (typeof WIRE_FORMATS)[number];

/** What a client asked the hub to do, independent of the path it used. */
export type Operation =
  | 'generate' // messages / chat completions / responses / generateContent
  | 'count_tokens'
  | 'list_models'
  | 'code_assist'; // Gemini Code Assist control calls (loadCodeAssist, quota, experiments …)

/** A matched proxy endpoint. */
export interface Endpoint {
  format: WireFormat;
  operation: Operation;
  /** Path as the upstream should see it, relative to the provider's version root (e.g. `/messages`). */
  upstreamPath: string;
  /** True when the path itself asks for a stream (Gemini `:streamGenerateContent`). */
  pathStream: boolean;
  /** Model named in the path (Gemini), if any. */
  pathModel?: string;
  /** Code Assist method (`loadCodeAssist`, `generateContent`, …) or resource path (`operations/…`). */
  method?: string;
  /** The client's HTTP method (default POST). */
  httpMethod?: 'GET' | 'POST';
}

const GEMINI_MODEL_RE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
const CODE_ASSIST_RE = /^\/(?:gemini\/)?v1internal:([A-Za-z]+)$/;
const CODE_ASSIST_RESOURCE_RE = /^\/(?:gemini\/)?v1internal\/([A-Za-z0-9._~\-/]+)$/;

/**
 * Map a request path to a proxy endpoint. A base URL ending in `/v1` doubles the prefix
 * (`/v1/v1/messages`); that is accepted as the single-prefix path.
 */
export function matchEndpoint(method: string, rawPath: string): Endpoint | undefined {
  if (method !== 'GET' && method !== 'POST') return undefined;
  const path = rawPath.startsWith('/v1/v1/') || rawPath.startsWith('/v1/v1beta/') ? rawPath.slice(3) : rawPath;
  if (method === 'POST') {
    switch (path) {
      case '/v1/messages':
        return { format: 'anthropic-messages', operation: 'generate', upstreamPath: '/messages', pathStream: false, httpMethod: 'POST' };
      case '/v1/messages/count_tokens':
        return { format: 'anthropic-messages', operation: 'count_tokens', upstreamPath: '/messages/count_tokens', pathStream: false, httpMethod: 'POST' };
      case '/v1/chat/completions':
        return { format: 'openai-chat', operation: 'generate', upstreamPath: '/chat/completions', pathStream: false, httpMethod: 'POST' };
      case '/v1/responses':
        return { format: 'openai-responses', operation: 'generate', upstreamPath: '/responses', pathStream: false, httpMethod: 'POST' };
    }
    const g = GEMINI_MODEL_RE.exec(path.startsWith('/v1/models/') ? `/v1beta${path.slice(3)}` : path);
    if (g) {
      const action = g[2]!;
      return {
        format: 'gemini',
        operation: action === 'countTokens' ? 'count_tokens' : 'generate',
        upstreamPath: `/models/${g[1]}:${action}`,
        pathStream: action === 'streamGenerateContent',
        pathModel: decodeURIComponent(g[1]!),
        httpMethod: 'POST',
      };
    }
  }
  if (method === 'GET' && (path === '/v1/models' || path === '/v1beta/models')) {
    return { format: path === '/v1/models' ? 'openai-chat' : 'gemini', operation: 'list_models', upstreamPath: '/models', pathStream: false, httpMethod: 'GET' };
  }
  const ca = CODE_ASSIST_RE.exec(path);
  if (ca && (method === 'POST' || method === 'GET')) {
    const m = ca[1]!;
    const generate = m === 'generateContent' || m === 'streamGenerateContent';
    return {
      format: 'gemini',
      operation: generate ? 'generate' : m === 'countTokens' ? 'count_tokens' : 'code_assist',
      upstreamPath: `/v1internal:${m}`,
      pathStream: m === 'streamGenerateContent',
      method: m,
      httpMethod: method,
    };
  }
  const res = CODE_ASSIST_RESOURCE_RE.exec(path);
  if (res && (method === 'POST' || method === 'GET') && !res[1]!.includes('..')) {
    return { format: 'gemini', operation: 'code_assist', upstreamPath: `/v1internal/${res[1]}`, pathStream: false, method: res[1]!, httpMethod: method };
  }
  return undefined;
}

/** True when a path belongs to the proxy surface, even if the method is wrong. */
export function isProxyPath(path: string): boolean {
  return /^\/(v1|v1beta|gemini|v1internal)([/:]|$)/.test(path);
}

/** Guess the client's format from the path alone (for errors before an endpoint matched). */
export function formatForPath(path: string, headers: Record<string, string | string[] | undefined>): WireFormat {
  if (path.includes('/messages')) return 'anthropic-messages';
  if (path.includes('/responses')) return 'openai-responses';
  if (path.startsWith('/v1beta') || path.includes('v1internal') || headers['x-goog-api-key']) return 'gemini';
  if (path.includes('/chat/')) return 'openai-chat';
  return headers['anthropic-version'] ? 'anthropic-messages' : 'openai-chat';
}
