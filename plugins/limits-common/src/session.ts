import { deriveSession, type Exchange, type SessionInfo as CoreSessionInfo } from '@cch/core';

/** Where a session id came from: the client (see core's `deriveSession`), a plugin, or the key alone. */
export type SessionSource = CoreSessionInfo['source'] | 'key';

export interface SessionInfo {
  id: string;
  source: SessionSource;
}

/** What session derivation reads from an exchange. */
export type SessionInput = Pick<Exchange, 'headers' | 'body' | 'identity' | 'sessionId'>;

/**
 * The conversation an exchange belongs to: `exchange.sessionId` when a plugin set it (the
 * balancer does, right after authentication); else core's `deriveSession` (the same derivation
 * the balancer uses); else the key itself, so every request counts against some session.
 */
export function sessionOf(ex: SessionInput): SessionInfo {
  if (ex.sessionId) return { id: ex.sessionId, source: 'exchange' };
  return deriveSession(ex) ?? { id: `k:${ex.identity?.keyId ?? ''}`, source: 'key' };
}

/** {@link sessionOf}, id only. */
export function sessionIdOf(ex: SessionInput): string {
  return sessionOf(ex).id;
}
