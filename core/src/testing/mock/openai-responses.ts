/** The mock's OpenAI Responses API: `/v1/responses` (JSON and SSE), as used by Codex CLI. */
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
  if (typeof body.input === 'string') return { lastUserText: body.input, hasToolResult: false, toolName: toolName(body.tools) };
  let lastUserText = '';
  let hasToolResult = false;
  for (const item of Array.isArray(body.input) ? body.input : []) {
    if (!isRecord(item)) continue;
    // function_call_output, custom_tool_call_output, local_shell_call_output, …
    if (typeof item.type === 'string' && item.type.endsWith('_call_output')) hasToolResult = true;
    else if (item.role === 'user' && (item.type === undefined || item.type === 'message')) lastUserText = textOf(item.content);
  }
  return { lastUserText, hasToolResult, toolName: toolName(body.tools) };
}

/** Prefer a plain function tool: Codex's custom and built-in tools expect other call item types. */
function toolName(tools: unknown): string | undefined {
  if (!Array.isArray(tools)) return undefined;
  const named = tools.filter((t): t is Record<string, unknown> => isRecord(t) && typeof t.name === 'string');
  const fn = named.find((t) => t.type === 'function') ?? named[0];
  return fn === undefined ? undefined : (fn.name as string);
}

function responsesUsage(u: MockUsage): Record<string, unknown> {
  const input = u.input + u.cacheRead;
  const output = u.output + u.reasoning;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: input + output,
  };
}

function replyText(body: Record<string, unknown>, text: string): string {
  const format = isRecord(body.text) ? body.text.format : undefined;
  if (isRecord(format) && format.type === 'json_schema') return JSON.stringify(sampleSchema(format.schema, text));
  if (isRecord(format) && format.type === 'json_object') return JSON.stringify({ text });
  return text;
}

/** `POST /v1/responses`. */
export function openaiResponses(ctx: MockContext): void | Promise<void> {
  const b = ctx.body;
  if (typeof b.model !== 'string') return sendError(ctx, 400, "Missing required parameter: 'model'.");

  const { settings } = ctx;
  const tool = toolToCall(settings, conversation(b));
  const text = replyText(b, settings.text);
  const id = ctx.id('resp_mock_');
  const itemId = ctx.id(tool === undefined ? 'msg_mock_' : 'fc_mock_');
  const callId = tool === undefined ? '' : ctx.id('call_mock_');
  const createdAt = Math.floor(Date.now() / 1000);
  const reasoning = isRecord(b.reasoning) ? b.reasoning : {};

  const response = (status: string, output: unknown[], usage: unknown): Record<string, unknown> => ({
    id,
    object: 'response',
    created_at: createdAt,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    model: b.model,
    output,
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    reasoning: { effort: reasoning.effort ?? null, summary: reasoning.summary ?? null },
    store: b.store ?? true,
    temperature: b.temperature ?? 1,
    text: b.text ?? { format: { type: 'text' } },
    tool_choice: b.tool_choice ?? 'auto',
    tools: b.tools ?? [],
    top_p: b.top_p ?? 1,
    truncation: b.truncation ?? 'disabled',
    usage,
    user: null,
    metadata: b.metadata ?? {},
  });

  const part = { type: 'output_text', annotations: [], logprobs: [], text };
  const doneItem =
    tool === undefined
      ? { id: itemId, type: 'message', status: 'completed', content: [part], role: 'assistant' }
      : { id: itemId, type: 'function_call', status: 'completed', arguments: TOOL_ARGS_JSON, call_id: callId, name: tool };
  const usage = responsesUsage(settings.usage);

  if (b.stream !== true) return sendJson(ctx, response('completed', [doneItem], usage));

  const events: string[] = [];
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>): void => {
    events.push(sseEvent({ type, sequence_number: seq++, ...data }, type));
  };
  ev('response.created', { response: response('in_progress', [], null) });
  ev('response.in_progress', { response: response('in_progress', [], null) });
  const at = { item_id: itemId, output_index: 0 };
  if (tool === undefined) {
    ev('response.output_item.added', { output_index: 0, item: { id: itemId, type: 'message', status: 'in_progress', content: [], role: 'assistant' } });
    ev('response.content_part.added', { ...at, content_index: 0, part: { ...part, text: '' } });
    for (const delta of splitText(text, settings.events)) ev('response.output_text.delta', { ...at, content_index: 0, delta, logprobs: [] });
    ev('response.output_text.done', { ...at, content_index: 0, text, logprobs: [] });
    ev('response.content_part.done', { ...at, content_index: 0, part });
  } else {
    ev('response.output_item.added', { output_index: 0, item: { ...doneItem, status: 'in_progress', arguments: '' } });
    for (const delta of splitNonEmpty(TOOL_ARGS_JSON, settings.events)) ev('response.function_call_arguments.delta', { ...at, delta });
    ev('response.function_call_arguments.done', { ...at, name: tool, arguments: TOOL_ARGS_JSON });
  }
  ev('response.output_item.done', { output_index: 0, item: doneItem });
  ev('response.completed', { response: response('completed', [doneItem], usage) });

  return sendStream(ctx, {
    headers: SSE_HEADERS,
    events,
    // Sequence numbers start at 0, so the error event after `sent` events is number `sent`.
    error: (sent, body) =>
      sseEvent(body ?? { type: 'error', sequence_number: sent, code: 'server_error', message: 'The server had an error while processing your request.', param: null }, 'error'),
  });
}
