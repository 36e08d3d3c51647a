/**
 * The internal representation every wire format parses into and renders from. A format is
 * supported by writing its parse and render functions against these types, never against
 * another format.
 */
import type { ClientErrorKind } from '../../errors.ts';
import type { Usage } from '../../usage.ts';
import type { WireFormat } from '../index.ts';

export type { Usage };

/** Why a generation ended, in one vocabulary for all formats. */
export type IrStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'stop_sequence' | 'content_filter' | 'error';

/** Reasoning effort levels (OpenAI's vocabulary; the other formats map onto it). */
export type IrEffort = 'minimal' | 'low' | 'medium' | 'high';

/**
 * An opaque reasoning signature and the format that produced it. Only that format can verify
 * it, so renderers drop signatures of another origin instead of sending them upstream.
 */
export interface IrSignature {
  origin: WireFormat;
  value: string;
  /** Gemini: the signature rode on the next part (a function call), not on a thought. */
  next?: boolean;
  /** Anthropic `redacted_thinking`: `value` is its encrypted `data`. */
  redacted?: boolean;
}

/** Where media bytes come from: inline base64 or a URL the provider fetches. */
export type IrSource = { kind: 'base64'; mediaType: string; data: string } | { kind: 'url'; url: string; mediaType?: string };

export interface IrText {
  type: 'text';
  text: string;
}

export interface IrImage {
  type: 'image';
  source: IrSource;
}

/** A document (PDF, plain text …) given as bytes or URL. */
export interface IrFile {
  type: 'file';
  source: IrSource;
  filename?: string;
}

export interface IrToolCall {
  type: 'tool_call';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface IrToolResult {
  type: 'tool_result';
  /** The id of the tool call this answers. */
  id: string;
  /** The tool's name, filled in from the matching call (Gemini needs it). */
  name?: string;
  content: (IrText | IrImage)[];
  isError?: boolean;
}

export interface IrThinking {
  type: 'thinking';
  text: string;
  signature?: IrSignature;
}

export type IrPart = IrText | IrImage | IrFile | IrToolCall | IrToolResult | IrThinking;

/** One turn. Tool results live in user turns, tool calls and thinking in assistant turns. */
export interface IrMessage {
  role: 'user' | 'assistant';
  content: IrPart[];
}

export interface IrTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments (an object schema). */
  schema: Record<string, unknown>;
  strict?: boolean;
}

export type IrToolChoice = { type: 'auto' } | { type: 'none' } | { type: 'required' } | { type: 'tool'; name: string };

/** Reasoning as asked for: off, a token budget, an effort level, or both. */
export interface IrReasoning {
  enabled: boolean;
  budgetTokens?: number;
  effort?: IrEffort;
}

/** Structured output: JSON, optionally constrained by a schema. */
export interface IrResponseFormat {
  type: 'json';
  schema?: Record<string, unknown>;
  name?: string;
  strict?: boolean;
}

export interface IrRequest {
  model?: string;
  /** System prompt pieces, in order. */
  system: string[];
  messages: IrMessage[];
  tools: IrTool[];
  toolChoice?: IrToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop: string[];
  stream: boolean;
  reasoning?: IrReasoning;
  responseFormat?: IrResponseFormat;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
}

/** A complete (non-streamed) answer. */
export interface IrResponse {
  id?: string;
  model?: string;
  content: (IrText | IrThinking | IrToolCall)[];
  stopReason: IrStopReason;
  stopSequence?: string;
  usage?: Usage;
}

/** The kind of a content block in a stream. */
export type IrBlock = { type: 'text' } | { type: 'thinking' } | { type: 'tool_call'; id: string; name: string };

/**
 * A stream, as a sequence of events. After normalisation (see stream-core.ts) the sequence is
 * `start`, then blocks (`block_start`, deltas, `block_stop`) one at a time, `usage` anywhere,
 * then `finish` and `end` — or `error`, after which nothing follows.
 */
export type IrStreamEvent =
  | { type: 'start'; id?: string; model?: string; usage?: Usage }
  | { type: 'block_start'; block: IrBlock }
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; text: string }
  | { type: 'signature'; signature: IrSignature }
  | { type: 'args_delta'; json: string }
  | { type: 'block_stop' }
  | { type: 'usage'; usage: Usage }
  | { type: 'finish'; stopReason: IrStopReason; stopSequence?: string }
  | { type: 'end' }
  | { type: 'error'; kind: ClientErrorKind; message: string };
