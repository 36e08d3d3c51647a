/** The mock's OpenAI Chat Completions API: `/v1/chat/completions` (JSON and SSE) and `/v1/models`. */
import { SSE_HEADERS, sseEvent } from '../sse.ts';
import {
  type Conversation,
  type MockContext,
  TOOL_ARGS_JSON,
  isRecord,
  sampleSchema,
  sendError,
  sendJson,
  sendStream,
  splitNonEmpty,
  splitText,
  textOf,
  toolToCall,
} from './shared.ts';
import type { MockUsage } from './types.ts';

function conversation(body: Record<string, unknown>): Conversation {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let lastUserText = '';
  let hasToolResult = false;
  for (const m of messages) {
    if (!isRecord(m)) continue;
    if (m.role === 'tool' || m.role === 'function') hasToolResult = true;
    if (m.role === 'user') lastUserText = textOf(m.content);
  }
  let toolName: string | undefined;
  if (Array.isArray(body.tools)) {
    for (const t of body.tools) {
      const fn = isRecord(t) ? (t.function ?? t.custom) : undefined;
      if (isRecord(fn) && typeof fn.name === 'string') {
        toolName = fn.name;
        break;
      }
    }
  } else if (Array.isArray(body.functions) && isRecord(body.functions[0]) && typeof body.functions[0].name === 'string') {
    toolName = body.functions[0].name;
  }
  return { lastUserText, hasToolResult, toolName };
}

/** Chat Completions usage; also used by the legacy-shaped parts of other OpenAI endpoints. */
export function chatUsage(u: MockUsage): Record<string, unknown> {
  const prompt = u.input + u.cacheRead;
  const completion = u.output + u.reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u.cacheRead, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
}

/** Reply text, or a JSON sample when the caller asked for structured output. */
function replyText(body: Record<string, unknown>, text: string): string {
  const rf = body.response_format;
  if (!isRecord(rf)) return text;
  if (rf.type === 'json_schema' && isRecord(rf.json_schema)) return JSON.stringify(sampleSchema(rf.json_schema.schema, text));
  if (rf.type === 'json_object') return JSON.stringify({ text });
  return text;
}

/** `POST /v1/chat/completions`. */
export function openaiChat(ctx: MockContext): void | Promise<void> {
  const b = ctx.body;
  if (typeof b.model !== 'string') return sendError(ctx, 400, 'you must provide a model parameter');
  if (!Array.isArray(b.messages)) return sendError(ctx, 400, "Missing required parameter: 'messages'.");

  const { settings } = ctx;
  const tool = toolToCall(settings, conversation(b));
  const text = replyText(b, settings.text);
  const id = ctx.id('chatcmpl-mock-');
  const callId = tool === undefined ? '' : ctx.id('call_mock_');
  const created = Math.floor(Date.now() / 1000);
  const finish = tool === undefined ? 'stop' : 'tool_calls';
  const base = { id, created, model: b.model, system_fingerprint: 'fp_mock', service_tier: 'default' };

  if (b.stream !== true) {
    const message =
      tool === undefined
        ? { role: 'assistant', content: text, refusal: null, annotations: [] }
        : { role: 'assistant', content: null, refusal: null, annotations: [], tool_calls: [{ id: callId, type: 'function', function: { name: tool, arguments: TOOL_ARGS_JSON } }] };
    return sendJson(ctx, { ...base, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage: chatUsage(settings.usage) });
  }

  const includeUsage = isRecord(b.stream_options) && b.stream_options.include_usage === true;
  // With include_usage every chunk carries `usage: null` and a last, choice-less chunk carries the totals.
  const extra = includeUsage ? { usage: null } : {};
  const events: string[] = [];
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): void => {
    events.push(sseEvent({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...extra }));
  };
  if (tool === undefined) {
    chunk({ role: 'assistant', content: '', refusal: null });
    for (const piece of splitText(text, settings.events)) chunk({ content: piece });
  } else {
    chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: tool, arguments: '' } }], refusal: null });
    for (const piece of splitNonEmpty(TOOL_ARGS_JSON, settings.events)) chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] });
  }
  chunk({}, finish);
  if (includeUsage) events.push(sseEvent({ ...base, object: 'chat.completion.chunk', choices: [], usage: chatUsage(settings.usage) }));
  events.push(sseEvent('[DONE]'));

  return sendStream(ctx, {
    headers: SSE_HEADERS,
    events,
    error: (_sent, body) =>
      sseEvent(body ?? { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } }),
  });
}

/** `GET /v1/models` and `GET /v1/models/{id}` in OpenAI's shape; any id exists, so clients that check their model never fail here. */
export function openaiModels(ctx: MockContext, id?: string): void {
  const model = (m: string) => ({ id: m, object: 'model', created: 1735689600, owned_by: 'mock' });
  sendJson(ctx, id !== undefined ? model(id) : { object: 'list', data: ctx.settings.models.map(model) });
}
