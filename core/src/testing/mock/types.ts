import type { IncomingHttpHeaders } from 'node:http';

/** Which provider API a request to the mock was routed to. */
export type MockApi = 'anthropic' | 'openai-chat' | 'openai-responses' | 'gemini' | 'code-assist' | 'unknown';

/**
 * Token counts the mock reports, in one provider-neutral form. Each API renders them in its
 * own semantics:
 * - Anthropic: `input_tokens` = `input`; cache fields separate; `output_tokens` = `output + reasoning`.
 * - OpenAI: `prompt_tokens`/`input_tokens` = `input + cacheRead` (cached tokens are part of the
 *   prompt total), `completion_tokens`/`output_tokens` = `output + reasoning`.
 * - Gemini: `promptTokenCount` = `input + cacheRead`, `candidatesTokenCount` = `output`,
 *   `thoughtsTokenCount` = `reasoning` (Gemini reports thoughts outside the candidates count).
 */
export interface MockUsage {
  /** Fresh (uncached) input tokens. Default 12. */
  input: number;
  /** Visible output tokens. Default 5. */
  output: number;
  /** All cache-write tokens (Anthropic only). Default 0. */
  cacheCreation: number;
  /** The part of `cacheCreation` written with a 1 h TTL; the rest is reported as 5 m. Default 0. */
  cacheCreation1h: number;
  /** Cache-read input tokens. Default 0. */
  cacheRead: number;
  /** Reasoning / thinking tokens. Default 0. */
  reasoning: number;
}

/**
 * A fault to inject into one request. Fields combine and apply in this order:
 * `delayMs` → `reset`/`hang` `'before-headers'` → `status` → `emptyBody` → normal reply, during
 * which `chunkDelayMs` and the mid-stream faults apply.
 */
export interface MockFault {
  /** Reply with this HTTP status and an error body in the API's own shape. */
  status?: number;
  /** Replaces the default error body (for `status`) or the in-stream error payload (for `midStreamError`). */
  body?: unknown;
  /** Extra response headers for the `status` reply, e.g. `{ 'retry-after': '1' }`. */
  headers?: Record<string, string>;
  /** Never answer (`before-headers`) or stall after `afterEvents` events (`mid-stream`). */
  hang?: 'before-headers' | 'mid-stream';
  /** Drop the connection before any byte of the response, or after `afterEvents` events. */
  reset?: 'before-headers' | 'mid-stream';
  /** After `afterEvents` events, send the provider's in-stream error event and end the stream. */
  midStreamError?: boolean;
  /**
   * Events sent before a mid-stream fault strikes; default 1. For non-streaming replies the body
   * counts as two events (its halves), so 1 means "headers and half the JSON".
   */
  afterEvents?: number;
  /** Wait this long before sending headers. */
  delayMs?: number;
  /** Wait this long between stream events (overrides the mock-wide option). */
  chunkDelayMs?: number;
  /** Reply 200 with the usual content type and an empty body. */
  emptyBody?: boolean;
  /**
   * Only requests whose path (with query) contains this string / matches this pattern take the
   * fault; others pass it by. Queued faults only.
   */
  path?: string | RegExp;
}

/** Options for {@link createMockUpstream}. */
export interface MockUpstreamOptions {
  /** Reply text. Default `"Hello from mock"`. */
  text?: string;
  /** Thinking text for Anthropic requests that enable thinking. Default `"Let me think."`. */
  thinking?: string;
  /** Usage to report; missing fields take the defaults of {@link MockUsage}. */
  usage?: Partial<MockUsage>;
  /** Number of text deltas per stream. Default 5 (benchmarks: ~50). */
  events?: number;
  /** When set, any other API key gets a 401 in the API's error format. */
  expectKey?: string;
  /** Delay between stream events. Default 0 (the whole stream is written at once). */
  chunkDelayMs?: number;
  /** Port to listen on; default 0 (a free port). */
  port?: number;
  /** Answer with a tool call whenever tools are offered and no tool result is present yet. */
  toolCall?: boolean;
  /** Record requests into `mock.requests`. Default true; turn off for long benchmarks. */
  record?: boolean;
  /** Model ids for the list-models endpoints. */
  models?: string[];
}

/** The live settings of a mock; tests may change them between requests. */
export interface MockSettings {
  text: string;
  thinking: string;
  usage: MockUsage;
  events: number;
  expectKey: string | undefined;
  chunkDelayMs: number;
  toolCall: boolean;
  record: boolean;
  models: string[];
}

/** One request as the mock received it. */
export interface RecordedRequest {
  method: string;
  /** Path including the query string, exactly as received. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body bytes as received (before any content-encoding is undone). */
  body: Buffer;
  /** Parsed JSON body, or undefined when the body is empty or not JSON. */
  json: unknown;
  api: MockApi;
  /** The fault applied to this request, if any. */
  fault?: MockFault;
  /** `Date.now()` when the request was fully received. */
  receivedAt: number;
}
