import { classifyHttpStatus, type UpstreamErrorClass } from '@cch/core';

/** The fields of an OpenAI-style error body that decide its class. */
export interface OpenAIErrorInfo {
  type: string | undefined;
  code: string | undefined;
  message: string | undefined;
}

/** Read `{ error: { type, code, message } }`; tolerant of non-JSON and odd shapes. */
export function readOpenAIError(body: Buffer): OpenAIErrorInfo {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: unknown };
    const e = j.error;
    if (e && typeof e === 'object') {
      const o = e as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
      return { type: str(o.type), code: str(o.code), message: str(o.message) };
    }
    if (typeof e === 'string') return { type: undefined, code: undefined, message: e };
  } catch {
    /* not JSON: status alone decides */
  }
  return { type: undefined, code: undefined, message: undefined };
}

/**
 * OpenAI error → class. `insufficient_quota` (a 429 from OpenAI) means the account has no credit
 * left: it will not clear by retrying, so it is an account failure (`auth`) — it counts against
 * the provider's health, like a revoked key — not a rate limit. 400/413/422 are the caller's.
 */
export function classifyOpenAIError(status: number, body: Buffer): UpstreamErrorClass {
  const e = readOpenAIError(body);
  if (e.code === 'insufficient_quota' || e.type === 'insufficient_quota') return 'auth';
  if (status === 400 || status === 413 || status === 422) return 'client';
  return classifyHttpStatus(status);
}
