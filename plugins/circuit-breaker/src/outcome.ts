import { countsAsProviderFailure, type AttemptRecord, type SettledExchange, type UpstreamErrorClass } from '@cch/core';
import type { AttemptOutcome } from './types.ts';

/** Upstream failures that can strike after the first byte (stream cut, idle, in-stream error). */
const MID_STREAM: ReadonlySet<string> = new Set<UpstreamErrorClass>(['network', 'timeout', 'overloaded', 'server']);

/** How an attempt counts on its own: success = status < 400 and no error class. */
export function attemptOutcome(a: AttemptRecord): AttemptOutcome {
  if (a.errorClass) return countsAsProviderFailure(a.errorClass) ? 'failure' : 'neutral';
  if (a.status === undefined || a.status >= 400) return 'neutral'; // no answer: the client left first
  return 'success';
}

/**
 * How an attempt counts once the exchange is over. The last attempt answered with a 200 may
 * still have failed mid-stream (the attempt record was written at the first byte); a client
 * abort is never held against the provider.
 */
export function settledOutcome(ex: SettledExchange, a: AttemptRecord, last: boolean): AttemptOutcome {
  const own = attemptOutcome(a);
  if (!last) return own;
  if (ex.outcome === 'aborted') return own === 'failure' ? own : 'neutral';
  if (own === 'success' && ex.outcome === 'failed' && ex.errorClass && MID_STREAM.has(ex.errorClass)) return 'failure';
  return own;
}
