import type { ClientErrorKind } from '../errors.ts';
import type { WireFormat } from './index.ts';

const ANTHROPIC_TYPES: Record<ClientErrorKind, string> = {
  invalid_request: 'invalid_request_error',
  authentication: 'authentication_error',
  permission: 'permission_error',
  not_found: 'not_found_error',
  request_too_large: 'request_too_large',
  rate_limit: 'rate_limit_error',
  quota_exceeded: 'rate_limit_error',
  overloaded: 'overloaded_error',
  timeout: 'timeout_error',
  upstream: 'api_error',
  internal: 'api_error',
};

const OPENAI_TYPES: Record<ClientErrorKind, [type: string, code: string]> = {
  invalid_request: ['invalid_request_error', 'invalid_request'],
  authentication: ['invalid_request_error', 'invalid_api_key'],
  permission: ['invalid_request_error', 'permission_denied'],
  not_found: ['invalid_request_error', 'not_found'],
  request_too_large: ['invalid_request_error', 'request_too_large'],
  rate_limit: ['rate_limit_error', 'rate_limit_exceeded'],
  quota_exceeded: ['insufficient_quota', 'insufficient_quota'],
  overloaded: ['server_error', 'service_unavailable'],
  timeout: ['server_error', 'timeout'],
  upstream: ['server_error', 'upstream_error'],
  internal: ['server_error', 'internal_error'],
};

const GEMINI_STATUS: Record<ClientErrorKind, string> = {
  invalid_request: 'INVALID_ARGUMENT',
  authentication: 'UNAUTHENTICATED',
  permission: 'PERMISSION_DENIED',
  not_found: 'NOT_FOUND',
  request_too_large: 'INVALID_ARGUMENT',
  rate_limit: 'RESOURCE_EXHAUSTED',
  quota_exceeded: 'RESOURCE_EXHAUSTED',
  overloaded: 'UNAVAILABLE',
  timeout: 'DEADLINE_EXCEEDED',
  upstream: 'INTERNAL',
  internal: 'INTERNAL',
};

/** Render an error body in the client's own wire format. */
export function renderError(format: WireFormat, status: number, kind: ClientErrorKind, message: string): Record<string, unknown> {
  switch (format) {
    case 'anthropic-messages':
      return { type: 'error', error: { type: ANTHROPIC_TYPES[kind], message } };
    case 'openai-chat':
    case 'openai-responses': {
      const [type, code] = OPENAI_TYPES[kind];
      return { error: { message, type, code, param: null } };
    }
    case 'gemini':
      return { error: { code: status, message, status: GEMINI_STATUS[kind] } };
  }
}

/**
 * Render an in-stream error event, for failures after the first byte reached the client.
 * Returns the SSE text to append so the stream ends well-formed in the client's format.
 */
export function renderStreamError(format: WireFormat, kind: ClientErrorKind, message: string, status = 502): string {
  const body = renderError(format, status, kind, message);
  switch (format) {
    case 'anthropic-messages':
      return `event: error\ndata: ${JSON.stringify(body)}\n\n`;
    case 'openai-responses':
      return `event: error\ndata: ${JSON.stringify({ type: 'error', ...(body.error as object) })}\n\n`;
    default:
      return `data: ${JSON.stringify(body)}\n\n`;
  }
}
