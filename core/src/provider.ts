import type { IncomingHttpHeaders } from 'node:http';
import type { Endpoint, WireFormat } from './formats/index.ts';
import type { Usage } from './usage.ts';
import type { Limits } from './config/schema.ts';

/** A provider account as the gateway sees it at run time (credentials decrypted). */
export interface ProviderRecord {
  id: number;
  name: string;
  /** Adapter type: `claude`, `codex`, `gemini`, `gemini-cli`, `openai`, or a plugin's own. */
  type: string;
  url: string;
  /** Decrypted credential. Never logged, never returned by the API. */
  key: string;
  weight: number;
  priority: number;
  groups: string[];
  /** Allowed models (globs); empty = any. */
  models: string[];
  modelRedirects: Record<string, string>;
  costMultiplier: number;
  limits: Limits;
  enabled: boolean;
  /** Serve clients of another wire format through translation: `true`, or the list of client formats. */
  acceptsTranslation: boolean | WireFormat[];
  timeouts: ProviderTimeouts;
  managedBy: 'config' | 'api';
}

export interface ProviderTimeouts {
  /** TCP/TLS connect. */
  connectMs: number;
  /** Until response headers arrive (first byte). */
  firstByteMs: number;
  /** Longest silence between two body chunks. */
  idleMs: number;
  /** Whole exchange, non-streaming requests only. */
  totalMs: number;
}

export const DEFAULT_TIMEOUTS: ProviderTimeouts = { connectMs: 10_000, firstByteMs: 120_000, idleMs: 120_000, totalMs: 600_000 };

/** What an adapter produces for the transport to send. */
export interface UpstreamRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: Buffer | string;
}

/** Input to {@link ProviderAdapter.buildRequest}. */
export interface BuildRequestInput {
  provider: ProviderRecord;
  /** The client's HTTP method (default POST). */
  method?: 'GET' | 'POST';
  endpoint: Endpoint;
  /** Client headers (auth headers already removed). */
  headers: IncomingHttpHeaders;
  /** Query string without the client's `key` parameter, `''` or starting with `?`. */
  query: string;
  /** Body in this adapter's wire format. */
  body: Buffer;
  /** Model to send upstream (after redirect). */
  model: string | undefined;
  stream: boolean;
}

/**
 * Why an upstream answer failed. `client` errors are the caller's fault and go back as they are;
 * the others count against the provider, and the retryable ones may fail over.
 */
export type UpstreamErrorClass = 'client' | 'auth' | 'not_found' | 'rate_limited' | 'overloaded' | 'server' | 'timeout' | 'network';

export function isRetryable(c: UpstreamErrorClass): boolean {
  return c === 'rate_limited' || c === 'overloaded' || c === 'server' || c === 'timeout' || c === 'network';
}

/**
 * True when the next provider may be tried: retryable failures, and credential problems (another
 * account may work), as long as nothing reached the client yet.
 */
export function mayFailOver(c: UpstreamErrorClass): boolean {
  return isRetryable(c) || c === 'auth';
}

/** Whether an adapter can serve an endpoint (operation and dialect). */
export function adapterServes(adapter: ProviderAdapter, endpoint: Endpoint): boolean {
  return (adapter.operations ?? ['generate', 'count_tokens']).includes(endpoint.operation) && (adapter.serves?.(endpoint) ?? true);
}

/** True when this failure should count against the provider's health. */
export function countsAsProviderFailure(c: UpstreamErrorClass): boolean {
  return c !== 'client' && c !== 'not_found';
}

/** Incremental usage parser fed with every chunk of a streamed response, in order. */
export interface StreamUsageParser {
  push(chunk: Buffer): void;
  /** Usage seen so far (final once the stream ended). */
  usage(): Usage | undefined;
  /** Model as served, if the stream names it. */
  model(): string | undefined;
  /** An error event seen in the stream, if any. */
  error?(): string | undefined;
}

/**
 * The provider-adapter contract. A provider plugin registers one adapter per provider `type`.
 * The core owns transport (connection pool, timeouts, streaming, aborts); the adapter owns the
 * provider's dialect: URL, auth headers, usage and error semantics.
 */
export interface ProviderAdapter {
  type: string;
  /** Wire format this provider speaks natively. */
  format: WireFormat;
  /** Operations it can serve (default: generate and count_tokens). */
  operations?: Endpoint['operation'][];
  /**
   * Whether it can serve this endpoint at all, beyond format and operation (e.g. `gemini` serves
   * the Gemini API paths, `gemini-cli` the Code Assist ones). Default: yes.
   */
  serves?(endpoint: Endpoint): boolean;
  buildRequest(input: BuildRequestInput): UpstreamRequest;
  /** Usage from a complete, non-streaming JSON response body. */
  extractUsage(body: unknown): Usage | undefined;
  /** Model as served, from a non-streaming JSON response body. */
  extractModel?(body: unknown): string | undefined;
  createStreamParser(): StreamUsageParser;
  classifyError(status: number, body: Buffer, headers: IncomingHttpHeaders): UpstreamErrorClass;
  /** Whether the request body asks for a stream (body already parsed). */
  wantsStream?(body: Record<string, unknown> | undefined, endpoint: Endpoint): boolean;
  /**
   * The request the admin API's provider test sends (`POST /api/v1/providers/{id}/test`). Default:
   * a one-token generation in the adapter's wire format, built with {@link buildRequest}. Override
   * when that cannot work without client context (Code Assist needs the client's project), or to
   * prepare the credential first (may be async). `defaultProbe` builds the default one.
   */
  probe?(provider: ProviderRecord, model: string): UpstreamRequest | Promise<UpstreamRequest>;
}

/** Default upstream error classification shared by the HTTP-based providers. */
export function classifyHttpStatus(status: number): UpstreamErrorClass {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status === 529 || status === 503) return 'overloaded';
  if (status >= 500) return 'server';
  return 'client';
}

/**
 * Join a provider base URL and an endpoint path, whether the base ends in a version root
 * (`https://api.anthropic.com/v1`) or not (`https://api.anthropic.com`).
 */
export function joinUpstreamUrl(base: string, versionRoot: string, path: string, query = ''): string {
  const trimmed = base.replace(/\/+$/, '');
  const hasVersion = /\/v\d+(beta\d*|alpha\d*)?$/.test(trimmed);
  return `${trimmed}${hasVersion ? '' : versionRoot}${path}${query}`;
}
