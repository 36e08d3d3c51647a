/** Provider error bodies → the client's error shape. */
import type { ClientErrorKind } from '../../errors.ts';
import { renderError } from '../errors.ts';
import type { WireFormat } from '../index.ts';
import { isRecord, str } from './shared.ts';

const ANTHROPIC_KINDS: Record<string, ClientErrorKind> = {
  invalid_request_error: 'invalid_request',
  authentication_error: 'authentication',
  permission_error: 'permission',
  not_found_error: 'not_found',
  request_too_large: 'request_too_large',
  rate_limit_error: 'rate_limit',
  api_error: 'upstream',
  overloaded_error: 'overloaded',
  timeout_error: 'timeout',
};

const OPENAI_KINDS: Record<string, ClientErrorKind> = {
  insufficient_quota: 'quota_exceeded',
  rate_limit_exceeded: 'rate_limit',
  rate_limit_error: 'rate_limit',
  invalid_api_key: 'authentication',
  context_length_exceeded: 'invalid_request',
  server_error: 'upstream',
};

const GEMINI_KINDS: Record<string, ClientErrorKind> = {
  INVALID_ARGUMENT: 'invalid_request',
  FAILED_PRECONDITION: 'invalid_request',
  OUT_OF_RANGE: 'invalid_request',
  UNAUTHENTICATED: 'authentication',
  PERMISSION_DENIED: 'permission',
  NOT_FOUND: 'not_found',
  RESOURCE_EXHAUSTED: 'rate_limit',
  UNAVAILABLE: 'overloaded',
  DEADLINE_EXCEEDED: 'timeout',
  INTERNAL: 'upstream',
};

/** The error kind an HTTP status implies when the body says nothing more specific. */
export function errorKindForStatus(status: number): ClientErrorKind {
  if (status === 400 || status === 422) return 'invalid_request';
  if (status === 401) return 'authentication';
  if (status === 402) return 'quota_exceeded';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status === 504 || status === 408) return 'timeout';
  return 'upstream';
}

/** A representative HTTP status for an error kind (in-stream errors have none of their own). */
export function statusForKind(kind: ClientErrorKind): number {
  const map: Record<ClientErrorKind, number> = {
    invalid_request: 400,
    authentication: 401,
    permission: 403,
    not_found: 404,
    request_too_large: 413,
    rate_limit: 429,
    quota_exceeded: 429,
    overloaded: 503,
    timeout: 504,
    upstream: 502,
    internal: 500,
  };
  return map[kind];
}

/** Kind and message of a provider error body (HTTP error or in-stream error event payload). */
export function parseProviderError(from: WireFormat, status: number, body: unknown): { kind: ClientErrorKind; message: string } {
  let b = Array.isArray(body) ? body[0] : body;
  // Responses API stream failures wrap the error in the response object.
  if (isRecord(b) && isRecord(b.response) && isRecord(b.response.error)) b = { error: b.response.error };
  const e = isRecord(b) && isRecord(b.error) ? b.error : isRecord(b) ? b : {};
  const message = str(e.message) ?? (isRecord(b) ? str(b.error) : undefined) ?? '';
  let kind: ClientErrorKind | undefined;
  switch (from) {
    case 'anthropic-messages':
      kind = ANTHROPIC_KINDS[String(e.type)];
      break;
    case 'openai-chat':
    case 'openai-responses':
      kind = OPENAI_KINDS[String(e.code)] ?? OPENAI_KINDS[String(e.type)];
      break;
    case 'gemini':
      kind = GEMINI_KINDS[String(e.status)];
      break;
  }
  kind ??= errorKindForStatus(status);
  return { kind, message: message || `upstream error (HTTP ${status})` };
}

/**
 * A provider's error body in the client's error shape. The message is kept; the type/status
 * follows the provider's error type where it has one, else the HTTP status.
 */
export function translateErrorBody(from: WireFormat, to: WireFormat, status: number, body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = { error: { message: body.subarray(0, 500).toString('utf8').trim() } };
  }
  const { kind, message } = parseProviderError(from, status, parsed);
  return renderError(to, clientErrorStatus(to, status), kind, message);
}

/** The HTTP status to give the client: Anthropic's 529 means nothing to other clients. */
export function clientErrorStatus(to: WireFormat, status: number): number {
  return status === 529 && to !== 'anthropic-messages' ? 503 : status;
}
