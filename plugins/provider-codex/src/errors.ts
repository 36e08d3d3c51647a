import { classifyHttpStatus, type UpstreamErrorClass } from '@cch/core';

function errorCodes(body: Buffer): string[] {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: { type?: unknown; code?: unknown }; detail?: unknown };
    return [j.error?.type, j.error?.code].filter((v): v is string => typeof v === 'string');
  } catch {
    return [];
  }
}

/**
 * Responses API error → class.
 * - `insufficient_quota` (OpenAI, 429): the account is out of credit and will not recover by
 *   retrying — an account failure (`auth`), counted against the provider.
 * - `usage_limit_reached` (ChatGPT backend, 429): the plan's window is used up until its reset —
 *   `rate_limited`, like any other 429.
 * - 400/413/422 are the caller's; the rest by status.
 */
export function classifyResponsesError(status: number, body: Buffer): UpstreamErrorClass {
  const codes = errorCodes(body);
  if (codes.includes('insufficient_quota')) return 'auth';
  if (status === 400 || status === 413 || status === 422) return 'client';
  return classifyHttpStatus(status);
}
