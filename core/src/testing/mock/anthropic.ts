/** The mock's Anthropic Messages API: `/v1/messages` (JSON and SSE) and `/v1/messages/count_tokens`. */
import { SSE_HEADERS, sseEvent } from '../sse.ts';
import {
  type Conversation,
  type MockContext,
  type StreamPlan,
  TOOL_ARGS,
  TOOL_ARGS_JSON,
  cacheCreation5m,
  isRecord,
  sendError,
  sendJson,
  sendStream,
  splitNonEmpty,
  splitText,
  textOf,
  toolToCall,
} from './shared.ts';
import type { MockUsage } from './types.ts';

const SIGNATURE = 'bW9jay10aGlua2luZy1zaWduYXR1cmU=';

function conversation(body: Record<string, unknown>): Conversation {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let lastUserText = '';
  let hasToolResult = false;
  for (const m of messages) {
    if (!isRecord(m)) continue;
    if (Array.isArray(m.content) && m.content.some((b) => isRecord(b) && b.type === 'tool_result')) hasToolResult = true;
    if (m.role === 'user') lastUserText = textOf(m.content);
  }
  const first = Array.isArray(body.tools) ? body.tools.find((t) => isRecord(t) && typeof t.name === 'string') : undefined;
  return { lastUserText, hasToolResult, toolName: isRecord(first) ? (first.name as string) : undefined };
}

function usage(u: MockUsage, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheCreation,
    cache_read_input_tokens: u.cacheRead,
    cache_creation: { ephemeral_5m_input_tokens: cacheCreation5m(u), ephemeral_1h_input_tokens: u.cacheCreation1h },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** `POST /v1/messages`. */
export function anthropicMessages(ctx: MockContext): void | Promise<void> {
  const b = ctx.body;
  if (typeof b.model !== 'string') return sendError(ctx, 400, 'model: Field required');
  if (!Array.isArray(b.messages)) return sendError(ctx, 400, 'messages: Field required');
  if (typeof b.max_tokens !== 'number') return sendError(ctx, 400, 'max_tokens: Field required');

  const { settings } = ctx;
  const tool = toolToCall(settings, conversation(b));
  const thinking = isRecord(b.thinking) && (b.thinking.type === 'enabled' || b.thinking.type === 'adaptive');
  const u = settings.usage;
  const outputTokens = u.output + u.reasoning;
  const id = ctx.id('msg_mock_');
  const toolId = tool === undefined ? '' : ctx.id('toolu_mock_');
  const stopReason = tool === undefined ? 'end_turn' : 'tool_use';

  if (b.stream !== true) {
    const content: unknown[] = [];
    if (thinking) content.push({ type: 'thinking', thinking: settings.thinking, signature: SIGNATURE });
    content.push(tool === undefined ? { type: 'text', text: settings.text } : { type: 'tool_use', id: toolId, name: tool, input: TOOL_ARGS });
    return sendJson(ctx, {
      id,
      type: 'message',
      role: 'assistant',
      model: b.model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: usage(u, outputTokens),
    });
  }

  const events: string[] = [];
  const ev = (type: string, data: Record<string, unknown>): void => {
    events.push(sseEvent({ type, ...data }, type));
  };
  // message_start reports a token or so of output, as the real API does; the final count comes in message_delta.
  ev('message_start', {
    message: { id, type: 'message', role: 'assistant', model: b.model, content: [], stop_reason: null, stop_sequence: null, usage: usage(u, 1) },
  });
  let index = 0;
  if (thinking) {
    ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    ev('ping', {});
    for (const piece of splitNonEmpty(settings.thinking, 2)) ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: piece } });
    ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: SIGNATURE } });
    ev('content_block_stop', { index });
    index++;
  }
  if (tool === undefined) {
    ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
    if (!thinking) ev('ping', {});
    for (const piece of splitText(settings.text, settings.events)) ev('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
  } else {
    ev('content_block_start', { index, content_block: { type: 'tool_use', id: toolId, name: tool, input: {} } });
    if (!thinking) ev('ping', {});
    // The real API opens a tool_use block with an empty partial_json.
    ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
    for (const piece of splitNonEmpty(TOOL_ARGS_JSON, settings.events)) ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
  }
  ev('content_block_stop', { index });
  ev('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
  ev('message_stop', {});

  const plan: StreamPlan = {
    headers: SSE_HEADERS,
    events,
    error: (_sent, body) => sseEvent(body ?? { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error'),
  };
  return sendStream(ctx, plan);
}

/** `POST /v1/messages/count_tokens`: the whole input, cached or not. */
export function anthropicCountTokens(ctx: MockContext): void {
  const b = ctx.body;
  if (typeof b.model !== 'string') return sendError(ctx, 400, 'model: Field required');
  if (!Array.isArray(b.messages)) return sendError(ctx, 400, 'messages: Field required');
  const u = ctx.settings.usage;
  sendJson(ctx, { input_tokens: u.input + u.cacheCreation + u.cacheRead });
}

/** `GET /v1/models` and `GET /v1/models/{id}` for Anthropic clients (they send `anthropic-version`). */
export function anthropicModels(ctx: MockContext, id?: string): void {
  const model = (m: string) => ({ type: 'model', id: m, display_name: m, created_at: '2025-01-01T00:00:00Z' });
  if (id !== undefined) return sendJson(ctx, model(id));
  const data = ctx.settings.models.map(model);
  sendJson(ctx, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
}
