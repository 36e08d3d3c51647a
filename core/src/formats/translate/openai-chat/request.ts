/** OpenAI Chat Completions requests ↔ IR. */
import { GatewayError } from '../../../errors.ts';
import type { RequestParseContext, RequestRenderContext } from '../codec.ts';
import type { IrImage, IrMessage, IrPart, IrRequest, IrText, IrTool, IrToolChoice } from '../ir.ts';
import {
  irToolFromFunction,
  type Drops,
  effortForBudget,
  isEffort,
  isRecord,
  joinText,
  linkToolResults,
  noteUnknownKeys,
  num,
  parseArgs,
  pushMessage,
  records,
  sourceFromUrl,
  str,
  urlOf,
} from '../shared.ts';

const HANDLED = [
  'model',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'stream',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning_effort',
  'response_format',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'n',
];
/** Transport details that mean nothing once the request is in another format. */
const IGNORED = ['stream_options'];
/** OpenAI rejects more than four stop sequences. */
const MAX_STOP = 4;

function bad(message: string): GatewayError {
  return new GatewayError(400, 'invalid_request', message);
}

/** Text of a string or an array of text parts (system, tool and assistant contents). */
function plainText(content: unknown): string {
  if (typeof content === 'string') return content;
  return records(content)
    .map((p) => (typeof p.text === 'string' ? p.text : typeof p.refusal === 'string' ? p.refusal : ''))
    .join('');
}

function parseUserParts(content: unknown, drops: Drops): IrPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const out: IrPart[] = [];
  for (const p of records(content)) {
    if (p.type === 'text') out.push({ type: 'text', text: str(p.text) ?? '' });
    else if (p.type === 'image_url') {
      const iu = p.image_url;
      const url = typeof iu === 'string' ? iu : isRecord(iu) ? str(iu.url) : undefined;
      if (isRecord(iu) && iu.detail !== undefined && iu.detail !== 'auto') drops.add('image detail');
      if (url) out.push({ type: 'image', source: sourceFromUrl(url) });
    } else if (p.type === 'file') {
      const f = isRecord(p.file) ? p.file : {};
      if (typeof f.file_id === 'string') throw bad('file_id refers to a file stored at OpenAI and cannot be sent to this provider');
      const data = str(f.file_data);
      if (data) {
        const source = data.startsWith('data:') ? sourceFromUrl(data) : { kind: 'base64' as const, mediaType: 'application/pdf', data };
        out.push({ type: 'file', source, ...(typeof f.filename === 'string' ? { filename: f.filename } : {}) });
      }
    } else if (p.type === 'input_audio') throw bad('audio input cannot be translated to this provider');
    else drops.add(`${String(p.type)} content parts`);
  }
  return out;
}

function parseAssistant(m: Record<string, unknown>, drops: Drops): IrPart[] {
  if (m.function_call !== undefined) throw bad('legacy function_call messages cannot be translated; use tool_calls');
  const out: IrPart[] = [];
  const reasoning = str(m.reasoning_content) ?? str(m.reasoning);
  if (reasoning) out.push({ type: 'thinking', text: reasoning });
  const text = plainText(m.content);
  if (text) out.push({ type: 'text', text });
  for (const tc of records(m.tool_calls)) {
    const fn = isRecord(tc.function) ? tc.function : undefined;
    if (!fn) {
      drops.add(`${String(tc.type)} tool calls`);
      continue;
    }
    out.push({ type: 'tool_call', id: str(tc.id) ?? '', name: str(fn.name) ?? '', input: parseArgs(fn.arguments, drops) });
  }
  if (m.audio !== undefined) drops.add('assistant audio');
  return out;
}

function parseTools(tools: unknown, drops: Drops): IrTool[] {
  const out: IrTool[] = [];
  for (const t of records(tools)) {
    const fn = t.type === 'function' && isRecord(t.function) ? t.function : undefined;
    if (!fn) {
      drops.add(`${String(t.type)} tools`);
      continue;
    }
    out.push(irToolFromFunction(fn));
  }
  return out;
}

function parseToolChoice(tc: unknown, drops: Drops): IrToolChoice | undefined {
  if (tc === 'auto' || tc === 'none' || tc === 'required') return { type: tc };
  if (isRecord(tc) && tc.type === 'function' && isRecord(tc.function) && typeof tc.function.name === 'string') return { type: 'tool', name: tc.function.name };
  if (tc !== undefined) drops.add('tool_choice (allowed_tools / custom)');
  return undefined;
}

/** OpenAI Chat Completions request → IR. */
export function parseChatRequest(body: Record<string, unknown>, ctx: RequestParseContext): IrRequest {
  const { drops } = ctx;
  noteUnknownKeys(body, HANDLED, drops, IGNORED);
  if (body.functions !== undefined) throw bad('legacy functions cannot be translated; use tools');
  if (typeof body.n === 'number' && body.n > 1) throw bad('n > 1 cannot be translated to this provider');
  const ir: IrRequest = { model: str(body.model) ?? ctx.model, system: [], messages: [], tools: parseTools(body.tools, drops), stop: [], stream: body.stream === true };
  for (const m of records(body.messages)) {
    if (m.name !== undefined) drops.add('message name');
    switch (m.role) {
      case 'system':
      case 'developer':
        if (ir.messages.length > 0) drops.add('system message position (moved to the system prompt)');
        ir.system.push(plainText(m.content));
        break;
      case 'assistant':
        pushMessage(ir.messages, 'assistant', parseAssistant(m, drops));
        break;
      case 'tool':
        pushMessage(ir.messages, 'user', [{ type: 'tool_result', id: str(m.tool_call_id) ?? '', content: [{ type: 'text', text: plainText(m.content) }] }]);
        break;
      case 'function':
        throw bad('legacy function messages cannot be translated; use tool messages');
      default:
        pushMessage(ir.messages, 'user', parseUserParts(m.content, drops));
    }
  }
  linkToolResults(ir.messages);
  const tc = parseToolChoice(body.tool_choice, drops);
  if (tc) ir.toolChoice = tc;
  if (typeof body.parallel_tool_calls === 'boolean') ir.parallelToolCalls = body.parallel_tool_calls;
  ir.maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
  ir.temperature = num(body.temperature);
  ir.topP = num(body.top_p);
  if (typeof body.stop === 'string') ir.stop = [body.stop];
  else if (Array.isArray(body.stop)) ir.stop = body.stop.filter((s): s is string => typeof s === 'string');
  if (body.reasoning_effort === 'none') ir.reasoning = { enabled: false };
  else if (isEffort(body.reasoning_effort)) ir.reasoning = { enabled: true, effort: body.reasoning_effort };
  const rf = isRecord(body.response_format) ? body.response_format : undefined;
  if (rf?.type === 'json_object') ir.responseFormat = { type: 'json' };
  else if (rf?.type === 'json_schema' && isRecord(rf.json_schema)) {
    const js = rf.json_schema;
    ir.responseFormat = {
      type: 'json',
      ...(isRecord(js.schema) ? { schema: js.schema } : {}),
      ...(typeof js.name === 'string' ? { name: js.name } : {}),
      ...(js.strict === true ? { strict: true } : {}),
    };
  }
  ir.presencePenalty = num(body.presence_penalty);
  ir.frequencyPenalty = num(body.frequency_penalty);
  ir.seed = num(body.seed);
  return ir;
}

function renderUserParts(parts: IrPart[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of parts) {
    if (p.type === 'text') out.push({ type: 'text', text: p.text });
    else if (p.type === 'image') out.push({ type: 'image_url', image_url: { url: urlOf(p.source) } });
    else if (p.type === 'file') {
      if (p.source.kind === 'url') throw bad('OpenAI Chat accepts files as inline data only, not by URL');
      out.push({ type: 'file', file: { file_data: urlOf(p.source), ...(p.filename ? { filename: p.filename } : {}) } });
    }
  }
  return out;
}

function renderUser(m: IrMessage, out: Record<string, unknown>[], drops: Drops): void {
  const moved: (IrText | IrImage)[] = [];
  for (const p of m.content) {
    if (p.type !== 'tool_result') continue;
    const images = p.content.filter((c) => c.type === 'image');
    if (images.length > 0) {
      // Tool messages carry text only; the images follow in a user message.
      drops.add('images in tool results (moved to a user message)');
      moved.push(...images);
    }
    const text = joinText(p.content);
    out.push({ role: 'tool', tool_call_id: p.id, content: p.isError && text !== '' ? `Error: ${text}` : text });
  }
  const rest = [...moved, ...m.content.filter((p) => p.type !== 'tool_result')];
  const parts = renderUserParts(rest);
  if (parts.length === 0) return;
  out.push({ role: 'user', content: parts.every((p) => p.type === 'text') ? parts.map((p) => p.text).join('') : parts });
}

function renderAssistant(m: IrMessage, drops: Drops): Record<string, unknown> {
  if (m.content.some((p) => p.type === 'thinking')) drops.add('thinking blocks in the history');
  const text = joinText(m.content);
  const calls = m.content.flatMap((p) => (p.type === 'tool_call' ? [{ id: p.id, type: 'function', function: { name: p.name, arguments: JSON.stringify(p.input) } }] : []));
  return { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, ...(calls.length > 0 ? { tool_calls: calls } : {}) };
}

/** IR → OpenAI Chat Completions request. */
export function renderChatRequest(ir: IrRequest, ctx: RequestRenderContext): Record<string, unknown> {
  const { drops } = ctx;
  const messages: Record<string, unknown>[] = [];
  const system = ir.system.filter((s) => s !== '').join('\n\n');
  if (system) messages.push({ role: 'system', content: system });
  for (const m of ir.messages) {
    if (m.role === 'user') renderUser(m, messages, drops);
    else messages.push(renderAssistant(m, drops));
  }
  // OpenAI answers after a trailing assistant turn instead of continuing it.
  if (ir.messages.at(-1)?.role === 'assistant') drops.add('assistant prefill (answered, not continued)');
  const body: Record<string, unknown> = { model: ctx.model ?? ir.model, messages };
  if (ir.tools.length > 0) {
    body.tools = ir.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), parameters: t.schema, ...(t.strict ? { strict: true } : {}) },
    }));
    const tc = ir.toolChoice;
    if (tc) body.tool_choice = tc.type === 'tool' ? { type: 'function', function: { name: tc.name } } : tc.type;
    if (ir.parallelToolCalls !== undefined) body.parallel_tool_calls = ir.parallelToolCalls;
  }
  if (ir.maxTokens !== undefined) body.max_completion_tokens = ir.maxTokens;
  if (ir.temperature !== undefined) body.temperature = ir.temperature;
  if (ir.topP !== undefined) body.top_p = ir.topP;
  if (ir.topK !== undefined) drops.add('top_k');
  if (ir.stop.length > MAX_STOP) drops.add(`stop sequences beyond the first ${MAX_STOP}`);
  if (ir.stop.length > 0) body.stop = ir.stop.slice(0, MAX_STOP);
  const r = ir.reasoning;
  if (r?.enabled) body.reasoning_effort = r.effort ?? effortForBudget(r.budgetTokens ?? 0);
  else if (r && !r.enabled) drops.add('reasoning off (Chat Completions cannot turn it off)');
  const rf = ir.responseFormat;
  if (rf?.schema) body.response_format = { type: 'json_schema', json_schema: { name: rf.name ?? 'response', schema: rf.schema, ...(rf.strict ? { strict: true } : {}) } };
  else if (rf) body.response_format = { type: 'json_object' };
  if (ir.presencePenalty !== undefined) body.presence_penalty = ir.presencePenalty;
  if (ir.frequencyPenalty !== undefined) body.frequency_penalty = ir.frequencyPenalty;
  if (ir.seed !== undefined) body.seed = ir.seed;
  if (ir.stream) {
    body.stream = true;
    // Usage arrives only when asked for; the hub needs it for accounting.
    body.stream_options = { include_usage: true };
  }
  return body;
}
