/** Where a translated request goes upstream: Gemini puts model and streaming in the URL, the others in the body. */
import { GatewayError } from '../../errors.ts';
import type { Endpoint, WireFormat } from '../index.ts';

/** An upstream endpoint for a generate call, plus the query string it needs (`''` or starting with `?`). */
export interface UpstreamTarget {
  endpoint: Endpoint;
  query: string;
}

/** Gemini's generate path for a model; streaming uses `:streamGenerateContent?alt=sse` (SSE, not a JSON array). */
export function geminiEndpoint(model: string, stream: boolean): { upstreamPath: string; query: string } {
  const action = stream ? 'streamGenerateContent' : 'generateContent';
  return { upstreamPath: `/models/${encodeURIComponent(model)}:${action}`, query: stream ? '?alt=sse' : '' };
}

const PATHS: Record<Exclude<WireFormat, 'gemini'>, string> = {
  'anthropic-messages': '/messages',
  'openai-chat': '/chat/completions',
  'openai-responses': '/responses',
};

/**
 * The endpoint to hand the target format's adapter (`buildRequest({ endpoint, query })`) for a
 * translated generate request. Throws 400 when Gemini is the target and no model is known.
 */
export function upstreamTarget(to: WireFormat, model: string | undefined, stream: boolean): UpstreamTarget {
  if (to !== 'gemini') return { endpoint: { format: to, operation: 'generate', upstreamPath: PATHS[to], pathStream: false }, query: '' };
  if (!model) throw new GatewayError(400, 'invalid_request', 'a model is required to route this request to a Gemini provider');
  const { upstreamPath, query } = geminiEndpoint(model, stream);
  return { endpoint: { format: 'gemini', operation: 'generate', upstreamPath, pathStream: stream, pathModel: model }, query };
}
