import { classifyHttpStatus, type UpstreamErrorClass } from '@cch/core';

/**
 * Anthropic error → class. 400 and 413 are the caller's, except a 400 about the account's
 * credit balance, which no caller can fix and another account may serve (`auth`). 529 is
 * Anthropic's "overloaded".
 */
export function classifyClaudeError(status: number, body: Buffer): UpstreamErrorClass {
  if (status === 400 && /credit balance is too low/i.test(body.subarray(0, 4096).toString('utf8'))) return 'auth';
  if (status === 400 || status === 413) return 'client';
  if (status === 529) return 'overloaded';
  if (status === 429) return 'rate_limited';
  return classifyHttpStatus(status);
}
