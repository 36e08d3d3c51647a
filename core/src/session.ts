import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Identity } from './exchange.ts';

/** Where a session id came from, for the decision chain. */
export type SessionSource = 'claude-code' | 'codex' | 'gemini-cli' | 'hash' | 'exchange';

export interface SessionInfo {
  id: string;
  source: SessionSource;
}

/** What session derivation reads from an exchange. */
export interface SessionInput {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
  identity?: Identity;
}

const MAX_ID = 200;
const SESSION_IN_USER_ID = /session_([0-9A-Za-z][0-9A-Za-z-]{7,})/;

/**
 * The conversation a request belongs to, from what each client sends:
 * Claude Code `x-claude-code-session-id` or `metadata.user_id` (`…_session_<uuid>`, or its JSON
 * form with `session_id`); Codex `session_id` header, `prompt_cache_key`, `previous_response_id`;
 * Gemini CLI `session_id` header or body field. Otherwise a hash of the key id and the first user
 * message, so a conversation from a plain SDK still sticks. Undefined when there is nothing to go by.
 */
export function deriveSession(ex: SessionInput): SessionInfo | undefined {
  const body = ex.body ?? {};
  const cc = header(ex.headers, 'x-claude-code-session-id') ?? claudeUserIdSession(body.metadata);
  if (cc) return make(cc, 'claude-code');
  const hdr = header(ex.headers, 'session_id');
  if (hdr) return make(hdr, isGeminiCli(ex.headers) ? 'gemini-cli' : 'codex');
  const codex = str(body.prompt_cache_key) ?? str(body.previous_response_id);
  if (codex) return make(codex, 'codex');
  const gemini = str(body.session_id) ?? str(record(body.request)?.session_id);
  if (gemini) return make(gemini, 'gemini-cli');
  const first = firstUserMessage(body);
  if (first === undefined) return undefined;
  const digest = createHash('sha256').update(`${ex.identity?.keyId ?? ''}\n${JSON.stringify(first)}`).digest('hex').slice(0, 32);
  return { id: `h:${digest}`, source: 'hash' };
}

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

/** The first user turn in any of the wire formats (Anthropic/OpenAI `messages`, Responses `input`, Gemini `contents`). */
export function firstUserMessage(body: Record<string, unknown>): unknown {
  if (typeof body.input === 'string') return body.input;
  const lists = [body.messages, body.input, body.contents, record(body.request)?.contents];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const m = record(item);
      if (!m) continue;
      if (m.role === 'user' || (m.role === undefined && 'parts' in m)) return m.content ?? m.parts;
    }
  }
  return undefined;
}

function isGeminiCli(headers: IncomingHttpHeaders): boolean {
  return /gemini/i.test(String(headers['user-agent'] ?? ''));
}

function make(raw: string, source: SessionSource): SessionInfo {
  return { id: raw.slice(0, MAX_ID), source };
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return str(Array.isArray(v) ? v[0] : v);
}

/** A non-empty string with only printable ASCII kept: ids end up in store keys and the request log. */
function str(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const clean = v.replace(/[^\x21-\x7e]/g, '');
  return clean === '' ? undefined : clean;
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
