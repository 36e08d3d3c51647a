import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Exchange } from '@cch/core';

/** Where a session id came from. */
export type SessionSource = 'exchange' | 'claude-code' | 'codex' | 'gemini-cli' | 'hash' | 'key';

export interface SessionInfo {
  id: string;
  source: SessionSource;
}

/** What session derivation reads from an exchange. */
export type SessionInput = Pick<Exchange, 'headers' | 'body' | 'identity' | 'sessionId'>;

const MAX_ID = 200;
const SESSION_IN_USER_ID = /session_([0-9A-Za-z][0-9A-Za-z-]{7,})/;

type Json = Record<string, unknown>;

function record(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

/** A non-empty string with only printable ASCII kept: ids end up in store keys and logs. */
function str(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const clean = v.replace(/[^\x21-\x7e]/g, '');
  return clean === '' ? undefined : clean;
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return str(Array.isArray(v) ? v[0] : v);
}

/**
 * The session part of Claude Code's `metadata.user_id`: `user_<hash>_account_<uuid>_session_<uuid>`
 * or, in newer versions, a JSON object with `session_id`.
 */
function claudeUserIdSession(metadata: unknown): string | undefined {
  const userId = str(record(metadata)?.user_id);
  if (!userId) return undefined;
  const m = SESSION_IN_USER_ID.exec(userId);
  if (m) return m[1];
  if (userId.startsWith('{')) {
    try {
      return str(record(JSON.parse(userId))?.session_id);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The first user turn in any wire format (Anthropic/OpenAI `messages`, Responses `input`, Gemini `contents`). */
export function firstUserMessage(body: Json): unknown {
  if (typeof body.input === 'string') return body.input;
  for (const list of [body.messages, body.input, body.contents, record(body.request)?.contents]) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const m = record(item);
      if (!m) continue;
      if (m.role === 'user' || (m.role === undefined && 'parts' in m)) return m.content ?? m.parts;
    }
  }
  return undefined;
}

const make = (raw: string, source: SessionSource): SessionInfo => ({ id: raw.slice(0, MAX_ID), source });

/**
 * The conversation an exchange belongs to. `exchange.sessionId` when a plugin set it; else
 * what the client sends — Claude Code `x-claude-code-session-id` or `metadata.user_id`;
 * Codex `session_id` header, `prompt_cache_key`, `previous_response_id`; Gemini CLI
 * `session_id` (header, body, or the Code Assist `request`) — else a hash of the key id and
 * the first user message (the same for every turn of a conversation), else the key itself.
 * Same derivation as the balancer's, so both name a session alike.
 */
export function sessionOf(ex: SessionInput): SessionInfo {
  if (ex.sessionId) return { id: ex.sessionId, source: 'exchange' };
  const body = ex.body ?? {};
  const cc = header(ex.headers, 'x-claude-code-session-id') ?? claudeUserIdSession(body.metadata);
  if (cc) return make(cc, 'claude-code');
  const hdr = header(ex.headers, 'session_id');
  if (hdr) return make(hdr, /gemini/i.test(String(ex.headers['user-agent'] ?? '')) ? 'gemini-cli' : 'codex');
  const codex = str(body.prompt_cache_key) ?? str(body.previous_response_id);
  if (codex) return make(codex, 'codex');
  const gemini = str(body.session_id) ?? str(record(body.request)?.session_id);
  if (gemini) return make(gemini, 'gemini-cli');
  const first = firstUserMessage(body);
  if (first === undefined) return { id: `k:${ex.identity?.keyId ?? ''}`, source: 'key' };
  const digest = createHash('sha256').update(`${ex.identity?.keyId ?? ''}\n${JSON.stringify(first)}`).digest('hex').slice(0, 32);
  return { id: `h:${digest}`, source: 'hash' };
}

/** {@link sessionOf}, id only. */
export function sessionIdOf(ex: SessionInput): string {
  return sessionOf(ex).id;
}
