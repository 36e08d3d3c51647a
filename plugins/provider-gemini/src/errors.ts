import { classifyHttpStatus, type UpstreamErrorClass } from '@cch/core';

interface GoogleError {
  status: string | undefined;
  message: string;
  reasons: string[];
}

/** Read a Google API error (`{ error: { code, message, status, details: [{ reason }] } }`), or its array-wrapped form. */
export function readGoogleError(body: Buffer): GoogleError {
  try {
    let j = JSON.parse(body.toString('utf8')) as unknown;
    if (Array.isArray(j)) j = j[0];
    const e = (j as { error?: { status?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
    if (e && typeof e === 'object') {
      const reasons = Array.isArray(e.details)
        ? e.details.map((d) => (d as { reason?: unknown } | null)?.reason).filter((r): r is string => typeof r === 'string')
        : [];
      return { status: typeof e.status === 'string' ? e.status : undefined, message: typeof e.message === 'string' ? e.message : '', reasons };
    }
  } catch {
    /* not JSON: status alone decides */
  }
  return { status: undefined, message: '', reasons: [] };
}

/**
 * Google error → class. Google answers some account problems with 400, which must not pass as
 * the caller's fault: an invalid or expired key (`API_KEY_INVALID`), and regions or billing the
 * account cannot use (`FAILED_PRECONDITION`). `RESOURCE_EXHAUSTED` is a rate limit whatever the
 * status; `DEADLINE_EXCEEDED` a timeout.
 */
export function classifyGoogleError(status: number, body: Buffer): UpstreamErrorClass {
  const e = readGoogleError(body);
  if (e.status === 'RESOURCE_EXHAUSTED' || status === 429) return 'rate_limited';
  if (e.status === 'UNAUTHENTICATED' || e.status === 'PERMISSION_DENIED') return 'auth';
  if (status === 400) {
    if (e.reasons.includes('API_KEY_INVALID') || /API key (not valid|expired)/i.test(e.message)) return 'auth';
    if (e.status === 'FAILED_PRECONDITION') return 'auth';
    return 'client';
  }
  if (status === 413) return 'client';
  if (status === 504 || e.status === 'DEADLINE_EXCEEDED') return 'timeout';
  if (e.status === 'UNAVAILABLE') return 'overloaded';
  return classifyHttpStatus(status);
}
