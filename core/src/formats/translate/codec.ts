/** The contract one wire format fulfils to take part in translation. */
import type { SseEvent } from '../sse.ts';
import type { IrRequest, IrResponse, IrStreamEvent } from './ir.ts';
import type { Drops } from './shared.ts';

/** Context for parsing a request a client sent. */
export interface RequestParseContext {
  drops: Drops;
  /** Stream flag from outside the body (Gemini puts it in the path). */
  stream: boolean;
  /** Model from outside the body (Gemini puts it in the path). */
  model: string | undefined;
}

/** Context for rendering a request to a provider. */
export interface RequestRenderContext {
  drops: Drops;
  /** Model to send upstream. */
  model: string | undefined;
}

/** Context for responses and streams. */
export interface ResponseContext {
  /** Model name to show the client; the provider's own name when undefined. */
  model: string | undefined;
  /** Seeds the ids this side has to invent (response ids, Gemini tool-call ids). */
  requestId: string;
  /** Gemini clients of Code Assist (`/v1internal:*`): wrap every answer in `{ response }`. */
  codeAssist?: boolean;
}

export interface StreamEncoderOptions extends ResponseContext {
  /** OpenAI Chat: send the final usage chunk (clients that set `stream_options.include_usage`). Default true. */
  includeUsage?: boolean;
  /** Gemini: the client did not ask for `alt=sse` and expects a streamed JSON array. */
  geminiArray?: boolean;
}

/** Provider SSE events → IR events. Events may target "the current block"; the normaliser fixes order. */
export interface StreamDecoder {
  push(e: SseEvent): IrStreamEvent[];
  /** The provider stream ended; return what its end implies (Gemini has no terminal event). */
  end(): IrStreamEvent[];
}

/** Normalised IR events → client SSE text. */
export interface StreamEncoder {
  push(e: IrStreamEvent): string;
}

/** Everything a format implements: request, response and stream, each in both directions. */
export interface FormatCodec {
  parseRequest(body: Record<string, unknown>, ctx: RequestParseContext): IrRequest;
  renderRequest(ir: IrRequest, ctx: RequestRenderContext): Record<string, unknown>;
  parseResponse(body: unknown, ctx: ResponseContext): IrResponse;
  renderResponse(ir: IrResponse, ctx: ResponseContext): Record<string, unknown>;
  createDecoder(ctx: ResponseContext): StreamDecoder;
  createEncoder(opts: StreamEncoderOptions): StreamEncoder;
}
