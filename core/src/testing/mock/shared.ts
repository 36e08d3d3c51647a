/**
 * Plumbing shared by the mock's API modules: the per-request context, reply writers that
 * honour injected faults, error bodies in each provider's shape, and conversation helpers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MockApi, MockFault, MockSettings, MockUsage } from './types.ts';

/** Everything an API handler needs for one request. */
export interface MockContext {
  req: IncomingMessage;
  res: ServerResponse;
  socket: Socket;
  url: URL;
  api: MockApi;
  /** Parsed JSON body; `{}` for body-less requests. */
  body: Record<string, unknown>;
  settings: MockSettings;
  fault: MockFault | undefined;
  /** A fresh id with the given prefix, unique within the mock. */
  id(prefix: string): string;
}

/** A stream ready to be written: pre-framed events plus what to send on an in-stream error. */
export interface StreamPlan {
  headers: Record<string, string>;
  events: string[];
  /** Written after the last event (the `]` of Gemini's JSON-array stream). */
  end?: string;
  /** The provider's in-stream error framing, sent after `sent` events; `body` overrides the payload. */
  error(sent: number, body: unknown): string;
}

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text of a message content in any of the providers' shapes: a string or an array of parts with `text`. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let out = '';
  for (const part of content) if (isRecord(part) && typeof part.text === 'string') out += part.text;
  return out;
}

/** The arguments of every mock tool call. */
export const TOOL_ARGS: Readonly<Record<string, string>> = { path: 'README.md' };
/** {@link TOOL_ARGS} as the JSON string streamed in argument deltas. */
export const TOOL_ARGS_JSON = JSON.stringify(TOOL_ARGS);

/** What the reply logic needs to know about a conversation, extracted per API. */
export interface Conversation {
  lastUserText: string;
  hasToolResult: boolean;
  /** Name of the first tool offered, if any. */
  toolName: string | undefined;
}

/**
 * The tool to call, or undefined to answer with text. A tool result anywhere in the
 * conversation means text, so agent CLIs driven by the mock always reach an end.
 */
export function toolToCall(settings: MockSettings, c: Conversation): string | undefined {
  if (c.toolName === undefined || c.hasToolResult) return undefined;
  return settings.toolCall || /\btool/i.test(c.lastUserText) ? c.toolName : undefined;
}

/**
 * Split text into `n` consecutive pieces of near-equal length (by code point, so surrogate pairs
 * stay whole). Pieces are empty when the text is shorter than `n`; the concatenation is always the text.
 */
export function splitText(text: string, n: number): string[] {
  const count = Math.max(1, Math.floor(n));
  const chars = Array.from(text);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(chars.slice(Math.floor((i * chars.length) / count), Math.floor(((i + 1) * chars.length) / count)).join(''));
  }
  return parts;
}

/** Split a short string (tool arguments) into at most `n` non-empty pieces. */
export function splitNonEmpty(text: string, n: number): string[] {
  return splitText(text, Math.min(Math.max(1, n), Math.max(1, text.length))).filter((p, i) => p !== '' || i === 0);
}

/** Cache-write tokens with the default 5 m TTL: whatever of the total is not 1 h. */
export function cacheCreation5m(u: MockUsage): number {
  return Math.max(0, u.cacheCreation - u.cacheCreation1h);
}

/**
 * A value matching a JSON schema (OpenAPI or Gemini's upper-case dialect), so JSON-mode callers
 * such as Gemini CLI's next-speaker check get parseable output. Picks the first enum value and
 * fills every declared property.
 */
export function sampleSchema(schema: unknown, text: string, depth = 0): unknown {
  if (!isRecord(schema) || depth > 8) return {};
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const alt = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alt) && alt.length > 0) return sampleSchema(alt[0], text, depth + 1);
  const rawType = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  const type = typeof rawType === 'string' ? rawType.toLowerCase() : isRecord(schema.properties) ? 'object' : 'string';
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      if (isRecord(schema.properties)) for (const [k, v] of Object.entries(schema.properties)) out[k] = sampleSchema(v, text, depth + 1);
      return out;
    }
    case 'array':
      return [];
    case 'integer':
    case 'number': {
      const min = Number(schema.minimum ?? 0);
      return Number.isFinite(min) ? Math.max(0, min) : 0;
    }
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return text;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const OPENAI_TYPES: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  403: ['invalid_request_error', 'permission_denied'],
  404: ['invalid_request_error', 'not_found'],
  429: ['requests', 'rate_limit_exceeded'],
  503: ['server_error', 'service_unavailable'],
  529: ['server_error', 'service_unavailable'],
};

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
  529: 'UNAVAILABLE',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Invalid API key',
  403: 'Permission denied',
  404: 'Not found',
  413: 'Request too large',
  429: 'Rate limit exceeded, please retry later',
  500: 'Internal server error',
  503: 'Service unavailable',
  529: 'Overloaded',
};

/** An error body in the API's own shape for the given status. */
export function errorBody(api: MockApi, status: number, message = DEFAULT_MESSAGES[status] ?? `HTTP ${status}`, requestId?: string): Record<string, unknown> {
  switch (api) {
    case 'anthropic': {
      const type = ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
      return { type: 'error', error: { type, message }, ...(requestId ? { request_id: requestId } : {}) };
    }
    case 'gemini':
    case 'code-assist':
      return { error: { code: status, message, status: GOOGLE_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT') } };
    default: {
      const [type, code] = OPENAI_TYPES[status] ?? (status >= 500 ? ['server_error', null] : ['invalid_request_error', null]);
      return { error: { message, type, param: null, code } };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Replies

/** Per-API response headers real clients look for (request ids show up in SDK errors and logs). */
function apiHeaders(ctx: MockContext): Record<string, string> {
  const rid = ctx.id('req_');
  switch (ctx.api) {
    case 'anthropic':
      return { 'request-id': rid };
    case 'openai-chat':
    case 'openai-responses':
      return { 'x-request-id': rid, 'openai-processing-ms': '1' };
    default:
      return {};
  }
}

/** Send an error reply in the API's shape; `body` replaces the default body. */
export function sendError(ctx: MockContext, status: number, message?: string, headers: Record<string, string> = {}, body?: unknown): void {
  const base = apiHeaders(ctx);
  const payload = body !== undefined ? body : errorBody(ctx.api, status, message, base['request-id']);
  const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
  ctx.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...base, ...headers });
  ctx.res.end(text);
}

function midStream(f: MockFault | undefined): boolean {
  return f !== undefined && (f.hang === 'mid-stream' || f.reset === 'mid-stream' || f.midStreamError === true);
}

/** Act out a mid-stream fault after `sent` events. */
function strike(ctx: MockContext, f: MockFault, sent: number, plan?: StreamPlan): void {
  if (f.midStreamError && plan) {
    ctx.res.end(plan.error(sent, f.body));
  } else if (f.reset === 'mid-stream') {
    // destroySoon flushes what was written, then closes: the client sees its events, then a truncated body.
    ctx.socket.destroySoon();
  }
  // hang: leave the response open; the client's timeout or mock.close() ends it.
}

/**
 * Send a successful JSON reply. Mid-stream faults treat the body as two events (its halves):
 * hang/reset cut it short; `midStreamError` becomes an overloaded error status instead, since a
 * non-streaming reply has no in-band error channel.
 */
export function sendJson(ctx: MockContext, body: unknown, headers: Record<string, string> = {}): void {
  const f = ctx.fault;
  if (f?.midStreamError) {
    sendError(ctx, ctx.api === 'anthropic' ? 529 : 503, undefined, {}, f.body);
    return;
  }
  const buf = f?.emptyBody ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  ctx.res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(buf.length), ...apiHeaders(ctx), ...headers });
  if (!midStream(f)) {
    ctx.res.end(buf);
    return;
  }
  const after = Math.max(0, Math.min(2, f!.afterEvents ?? 1));
  const half = buf.length >> 1;
  if (after === 0) ctx.res.flushHeaders();
  else ctx.res.write(after === 1 ? buf.subarray(0, half) : buf);
  strike(ctx, f!, after);
}

/** Send a stream, honouring chunk delays and mid-stream faults. */
export async function sendStream(ctx: MockContext, plan: StreamPlan): Promise<void> {
  const { res, fault } = ctx;
  res.writeHead(200, { ...plan.headers, ...apiHeaders(ctx) });
  if (fault?.emptyBody) {
    res.end();
    return;
  }
  const delay = fault?.chunkDelayMs ?? ctx.settings.chunkDelayMs;
  const stopAt = midStream(fault) ? Math.max(0, Math.floor(fault!.afterEvents ?? 1)) : -1;
  // The cheap path for benchmarks: one write for the whole stream.
  if (stopAt < 0 && !(delay > 0)) {
    res.end(plan.events.join('') + (plan.end ?? ''));
    return;
  }
  res.flushHeaders();
  for (let i = 0; i < plan.events.length; i++) {
    if (i === stopAt) return strike(ctx, fault!, i, plan);
    if (i > 0 && delay > 0) {
      await sleep(delay, undefined, { ref: false });
      if (ctx.socket.destroyed) return;
    }
    res.write(plan.events[i]);
  }
  if (stopAt >= 0) return strike(ctx, fault!, plan.events.length, plan);
  res.end(plan.end);
}
