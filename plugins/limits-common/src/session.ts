import { createHash } from 'node:crypto';
import type { Exchange } from '@cch/core';

const MAX_LENGTH = 200;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim().slice(0, MAX_LENGTH) : undefined);

function header(ex: Pick<Exchange, 'headers'>, name: string): string | undefined {
  const v = ex.headers[name];
  return str(Array.isArray(v) ? v[0] : v);
}

/**
 * The session part of Claude Code's `metadata.user_id`: either
 * `user_<hash>_account_<uuid>_session_<uuid>` or, in newer versions, a JSON object with `session_id`.
 */
function claudeCodeSession(body: Json): string | undefined {
  const userId = isObject(body.metadata) ? body.metadata.user_id : undefined;
  if (typeof userId !== 'string') return undefined;
  if (userId.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(userId);
      if (isObject(parsed)) return str(parsed.session_id);
    } catch {
      /* not JSON after all */
    }
  }
  return str(/_session_([A-Za-z0-9-]+)$/.exec(userId)?.[1]);
}

/** Text of a message content in any wire format: a string, or parts carrying `text`. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isObject(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

/** The first user message, whatever the format: `messages`, Responses `input`, Gemini `contents`. */
export function firstUserText(body: Json | undefined): string {
  if (!body) return '';
  const inner = isObject(body.request) ? body.request : undefined; // Gemini Code Assist wraps the request
  if (typeof body.input === 'string') return body.input;
  for (const list of [body.messages, body.input, body.contents, inner?.contents]) {
    if (!Array.isArray(list)) continue;
    for (const m of list) {
      if (!isObject(m)) continue;
      const role = m.role;
      if (role !== undefined && role !== 'user') continue;
      const text = textOf(m.content ?? m.parts);
      if (text) return text;
    }
  }
  return '';
}

/**
 * The session an exchange belongs to. `exchange.sessionId` when a plugin already set it;
 * otherwise what the client says — Claude Code `x-claude-code-session-id` / `metadata.user_id`,
 * Codex `session_id` header / `prompt_cache_key`, Gemini CLI `session_id` (top level or in the
 * Code Assist `request`) — and failing all that a hash of the key id and the first user
 * message, which stays the same for every turn of one conversation.
 */
export function sessionIdOf(ex: Pick<Exchange, 'headers' | 'body' | 'identity' | 'sessionId'>): string {
  if (ex.sessionId) return ex.sessionId;
  const body = ex.body ?? {};
  const inner = isObject(body.request) ? body.request : undefined;
  const found =
    header(ex, 'x-claude-code-session-id') ??
    claudeCodeSession(body) ??
    header(ex, 'session_id') ??
    str(body.prompt_cache_key) ??
    str(body.session_id) ??
    str(inner?.session_id);
  if (found) return found;
  const digest = createHash('sha256')
    .update(`${ex.identity?.keyId ?? ''}\n${firstUserText(body)}`)
    .digest('hex');
  return `h:${digest.slice(0, 32)}`;
}
