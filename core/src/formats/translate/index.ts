/**
 * Wire-format translation. Every format parses into one internal representation (ir.ts) and
 * renders from it, so the twelve directed pairs are four codecs, not twelve translators.
 */
import type { Usage } from '../../usage.ts';
import type { WireFormat } from '../index.ts';
import { createSseParser } from '../sse.ts';
import { anthropicCodec } from './anthropic/index.ts';
import type { FormatCodec } from './codec.ts';
import { upstreamTarget, type UpstreamTarget } from './endpoint.ts';
import { geminiCodec } from './gemini/index.ts';
import type { IrStopReason, IrStreamEvent } from './ir.ts';
import { openaiChatCodec } from './openai-chat/index.ts';
import { openaiResponsesCodec } from './openai-responses/index.ts';
import { createDrops } from './shared.ts';
import { createNormalizer } from './stream-core.ts';

export { clientErrorStatus, translateErrorBody } from './errors.ts';
export { geminiEndpoint, upstreamTarget, type UpstreamTarget } from './endpoint.ts';
export { droppedFields } from './dropped.ts';
export type { FormatCodec } from './codec.ts';
export type * from './ir.ts';

const CODECS: Record<WireFormat, FormatCodec> = {
  'anthropic-messages': anthropicCodec,
  'openai-chat': openaiChatCodec,
  'openai-responses': openaiResponsesCodec,
  gemini: geminiCodec,
};

/** The codec of one format (for tests and for plugins that need the IR directly). */
export function codecFor(format: WireFormat): FormatCodec {
  return CODECS[format];
}

export interface TranslateRequestOptions {
  /**
   * Model to send upstream (after redirect). When undefined, the client's own: the body's
   * `model`, or nothing for a Gemini client (its model is in the path — pass it here).
   */
  model: string | undefined;
  /** Gemini clients only: whether the path asked for a stream (`:streamGenerateContent`). */
  stream?: boolean;
}

export interface TranslatedRequest {
  /** The request body in the target format. */
  body: Record<string, unknown>;
  /** Whether the client asked for a stream (the translated body or URL asks for one too). */
  stream: boolean;
  /** What could not be expressed in the target format and was left out (or adjusted), for logs. */
  dropped: string[];
  /** Upstream endpoint and query for the target format (Gemini: model and stream in the URL). */
  upstream: UpstreamTarget;
}

/**
 * Translate a client request body into a provider's format. Throws `GatewayError(400,
 * 'invalid_request')` when the request cannot be served faithfully (state kept at the client's
 * vendor, media the target cannot fetch, n > 1 …).
 */
export function translateRequest(from: WireFormat, to: WireFormat, body: Record<string, unknown>, opts: TranslateRequestOptions): TranslatedRequest {
  if (from === to) {
    const stream = from === 'gemini' ? opts.stream === true : body.stream === true;
    const model = opts.model ?? (typeof body.model === 'string' ? body.model : undefined);
    return { body, stream, dropped: [], upstream: upstreamTarget(to, model, stream) };
  }
  const drops = createDrops();
  const ir = CODECS[from].parseRequest(body, { drops, stream: opts.stream ?? false, model: opts.model });
  const model = opts.model ?? ir.model;
  return { body: CODECS[to].renderRequest(ir, { drops, model }), stream: ir.stream, dropped: drops.list(), upstream: upstreamTarget(to, model, ir.stream) };
}

export interface TranslateResponseOptions {
  /** Model name to show the client; the provider's own when undefined. */
  model: string | undefined;
  /** Seeds ids the client format needs and the provider did not give (default: random). */
  requestId?: string;
  /** Gemini clients of Code Assist (`/v1internal:*`): wrap the answer in `{ response }`. */
  codeAssist?: boolean;
}

/** Translate a complete (non-streamed) provider response body into the client's format. */
export function translateResponse(from: WireFormat, to: WireFormat, body: unknown, opts: TranslateResponseOptions): Record<string, unknown> {
  const ctx = { model: opts.model, requestId: opts.requestId ?? crypto.randomUUID(), ...(opts.codeAssist ? { codeAssist: true } : {}) };
  return CODECS[to].renderResponse(CODECS[from].parseResponse(body, ctx), ctx);
}

export interface StreamTranslatorOptions {
  /** Model name to show the client; the provider's own when undefined. */
  model: string | undefined;
  /** Seeds ids the client format needs and the provider did not give. */
  requestId: string;
  /** OpenAI Chat clients: send the final usage chunk. Default true. */
  includeUsage?: boolean;
  /** Gemini clients that called `:streamGenerateContent` without `alt=sse`: answer with a streamed JSON array. */
  geminiArray?: boolean;
  /** Gemini clients of Code Assist (`/v1internal:*`): wrap every chunk in `{ response }`. */
  codeAssist?: boolean;
}

export interface StreamTranslator {
  /** Feed a provider chunk (any boundaries); returns client bytes to write now, possibly `''`. */
  push(chunk: Buffer | string): string;
  /**
   * The provider stream ended. Returns the closing bytes the client still needs: the terminal
   * events when the provider's stream implies them (Gemini has none of its own), or an error
   * event when it stopped before finishing.
   */
  end(): string;
  /** Usage reported by the provider so far (final after `end`). */
  usage(): Usage | undefined;
  /** Model as the provider named it. */
  model(): string | undefined;
  /** An in-stream error, if one was seen or `end` found the stream cut short. */
  error(): string | undefined;
  /** How the generation ended, once known. */
  stopReason(): IrStopReason | undefined;
}

/** Translate a provider's SSE stream into the client's SSE format, event for event. */
export function createStreamTranslator(from: WireFormat, to: WireFormat, opts: StreamTranslatorOptions): StreamTranslator {
  if (from === to) throw new Error('createStreamTranslator: same format on both sides; pass the stream through instead');
  const ctx = { model: opts.model, requestId: opts.requestId };
  const decoder = CODECS[from].createDecoder(ctx);
  const encoder = CODECS[to].createEncoder({ ...opts });
  const norm = createNormalizer();
  let out = '';
  const emit = (events: IrStreamEvent[]) => {
    for (const e of events) for (const n of norm.push(e)) out += encoder.push(n);
  };
  const parser = createSseParser((e) => emit(decoder.push(e)));
  const take = () => {
    const s = out;
    out = '';
    return s;
  };
  return {
    push(chunk) {
      parser.push(chunk);
      return take();
    },
    end() {
      parser.end();
      emit(decoder.end());
      if (!norm.state.ended) {
        emit(norm.finished() ? [{ type: 'end' }] : [{ type: 'error', kind: 'upstream', message: 'the upstream stream ended before the response was complete' }]);
      }
      return take();
    },
    usage: () => norm.state.usage,
    model: () => norm.state.model,
    error: () => norm.state.error,
    stopReason: () => norm.state.stopReason,
  };
}
