/** OpenAI Responses API requests ↔ IR. */
import { GatewayError } from '../../../errors.ts';
import type { RequestParseContext, RequestRenderContext } from '../codec.ts';
import type { IrImage, IrMessage, IrPart, IrRequest, IrText, IrTool, IrToolChoice } from '../ir.ts';
import {
  irToolFromFunction,
  type Drops,
  decodeSignature,
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

const HANDLED = ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'temperature', 'top_p', 'reasoning', 'text', 'stream'];
/** Storage and include flags concern OpenAI's own state; a translated request has none. */
const IGNORED = ['store', 'include', 'stream_options'];
/** Fields that name state kept at OpenAI: a translation cannot serve them faithfully. */
const STATEFUL = ['previous_response_id', 'conversation', 'prompt'];
/** The API's smallest `max_output_tokens`. */
const MIN_OUTPUT_TOKENS = 16;

function bad(message: string): GatewayError {
  return new GatewayError(400, 'invalid_request', message);
}

function parseInputParts(content: unknown, drops: Drops): IrPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const out: IrPart[] = [];
  for (const p of records(content)) {
    switch (p.type) {
      case 'input_text':
      case 'output_text':
        out.push({ type: 'text', text: str(p.text) ?? '' });
        break;
      case 'refusal':
        out.push({ type: 'text', text: str(p.refusal) ?? '' });
        break;
      case 'input_image': {
        if (typeof p.file_id === 'string') throw bad('file_id refers to a file stored at OpenAI and cannot be sent to this provider');
        if (p.detail !== undefined && p.detail !== 'auto') drops.add('image detail');
        const url = str(p.image_url);
        if (url) out.push({ type: 'image', source: sourceFromUrl(url) });
        break;
      }
      case 'input_file': {
        if (typeof p.file_id === 'string') throw bad('file_id refers to a file stored at OpenAI and cannot be sent to this provider');
        const filename = str(p.filename);
        const data = str(p.file_data);
        const url = str(p.file_url);
        const source = data ? (data.startsWith('data:') ? sourceFromUrl(data) : { kind: 'base64' as const, mediaType: 'application/pdf', data }) : url ? sourceFromUrl(url) : undefined;
        if (source) out.push({ type: 'file', source, ...(filename ? { filename } : {}) });
        break;
      }
      default:
        drops.add(`${String(p.type)} content parts`);
    }
  }
  return out;
}

function parseOutput(output: unknown, drops: Drops): (IrText | IrImage)[] {
  if (typeof output === 'string') return [{ type: 'text', text: output }];
  return parseInputParts(output, drops).filter((p): p is IrText | IrImage => p.type === 'text' || p.type === 'image');
}

function parseReasoningItem(item: Record<string, unknown>): IrPart {
  const summary = records(item.summary)
    .map((s) => str(s.text) ?? '')
    .join('\n\n');
  const raw = records(item.content)
    .map((c) => str(c.text) ?? '')
    .join('');
  const enc = str(item.encrypted_content);
  return { type: 'thinking', text: summary || raw, ...(enc ? { signature: decodeSignature(enc, 'openai-responses') } : {}) };
}

function parseItems(ir: IrRequest, input: unknown, drops: Drops): void {
  if (typeof input === 'string') {
    pushMessage(ir.messages, 'user', [{ type: 'text', text: input }]);
    return;
  }
  for (const item of records(input)) {
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        if (item.role === 'system' || item.role === 'developer') {
          if (ir.messages.length > 0) drops.add('system message position (moved to the system prompt)');
          ir.system.push(joinText(parseInputParts(item.content, drops)));
        } else pushMessage(ir.messages, item.role === 'assistant' ? 'assistant' : 'user', parseInputParts(item.content, drops));
        break;
      case 'function_call':
        pushMessage(ir.messages, 'assistant', [{ type: 'tool_call', id: str(item.call_id) ?? '', name: str(item.name) ?? '', input: parseArgs(item.arguments, drops) }]);
        break;
      case 'function_call_output':
        pushMessage(ir.messages, 'user', [{ type: 'tool_result', id: str(item.call_id) ?? '', content: parseOutput(item.output, drops) }]);
        break;
      case 'reasoning':
        pushMessage(ir.messages, 'assistant', [parseReasoningItem(item)]);
        break;
      case 'item_reference':
        throw bad('item_reference refers to state stored at OpenAI and cannot be sent to this provider');
      default:
        // custom_tool_call(_output), local_shell_call(_output), web_search_call …: calls and their outputs go together.
        drops.add(`${String(type)} items`);
    }
  }
}

function parseTools(tools: unknown, drops: Drops): IrTool[] {
  const out: IrTool[] = [];
  for (const t of records(tools)) {
    if (t.type !== 'function') {
      drops.add(`${String(t.type)} tools`);
      continue;
    }
    out.push(irToolFromFunction(t));
  }
  return out;
}

function parseToolChoice(tc: unknown, drops: Drops): IrToolChoice | undefined {
  if (tc === 'auto' || tc === 'none' || tc === 'required') return { type: tc };
  if (isRecord(tc) && tc.type === 'function' && typeof tc.name === 'string') return { type: 'tool', name: tc.name };
  if (tc !== undefined) drops.add('tool_choice (allowed_tools / hosted tools)');
  return undefined;
}

/** Responses API request → IR. */
export function parseResponsesRequest(body: Record<string, unknown>, ctx: RequestParseContext): IrRequest {
  const { drops } = ctx;
  for (const k of STATEFUL) if (body[k] != null) throw bad(`${k} refers to state stored at OpenAI and cannot be sent to this provider`);
  if (body.background === true) throw bad('background responses cannot be translated to this provider');
  noteUnknownKeys(body, [...HANDLED, 'background'], drops, IGNORED);
  const ir: IrRequest = { model: str(body.model) ?? ctx.model, system: [], messages: [], tools: parseTools(body.tools, drops), stop: [], stream: body.stream === true };
  if (typeof body.instructions === 'string' && body.instructions !== '') ir.system.push(body.instructions);
  parseItems(ir, body.input, drops);
  linkToolResults(ir.messages);
  const tc = parseToolChoice(body.tool_choice, drops);
  if (tc) ir.toolChoice = tc;
  if (typeof body.parallel_tool_calls === 'boolean') ir.parallelToolCalls = body.parallel_tool_calls;
  ir.maxTokens = num(body.max_output_tokens);
  ir.temperature = num(body.temperature);
  ir.topP = num(body.top_p);
  const r = isRecord(body.reasoning) ? body.reasoning : undefined;
  if (r?.effort === 'none') ir.reasoning = { enabled: false };
  else if (isEffort(r?.effort)) ir.reasoning = { enabled: true, effort: r.effort };
  const text = isRecord(body.text) ? body.text : undefined;
  const f = isRecord(text?.format) ? text.format : undefined;
  if (f?.type === 'json_object') ir.responseFormat = { type: 'json' };
  else if (f?.type === 'json_schema') {
    ir.responseFormat = {
      type: 'json',
      ...(isRecord(f.schema) ? { schema: f.schema } : {}),
      ...(typeof f.name === 'string' ? { name: f.name } : {}),
      ...(f.strict === true ? { strict: true } : {}),
    };
  }
  if (text?.verbosity !== undefined) drops.add('text verbosity');
  return ir;
}

function renderUserContent(parts: IrPart[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of parts) {
    if (p.type === 'text') out.push({ type: 'input_text', text: p.text });
    else if (p.type === 'image') out.push({ type: 'input_image', image_url: urlOf(p.source), detail: 'auto' });
    else if (p.type === 'file') {
      out.push(
        p.source.kind === 'url'
          ? { type: 'input_file', file_url: p.source.url }
          : { type: 'input_file', file_data: urlOf(p.source), filename: p.filename ?? (p.source.mediaType === 'application/pdf' ? 'document.pdf' : 'document') },
      );
    }
  }
  return out;
}

function renderItems(messages: IrMessage[], drops: Drops): Record<string, unknown>[] {
  const items: Record<string, unknown>[] = [];
  for (const m of messages) {
    if (m.role === 'user') {
      for (const p of m.content) {
        if (p.type !== 'tool_result') continue;
        const onlyText = p.content.every((c) => c.type === 'text');
        const text = joinText(p.content);
        // Outputs carry no error flag; the text says it, as for Chat tool messages.
        const output = onlyText ? (p.isError && text !== '' ? `Error: ${text}` : text) : renderUserContent(p.content);
        items.push({ type: 'function_call_output', call_id: p.id, output });
      }
      const content = renderUserContent(m.content.filter((p) => p.type !== 'tool_result'));
      if (content.length > 0) items.push({ type: 'message', role: 'user', content });
      continue;
    }
    let text: Record<string, unknown>[] | undefined;
    for (const p of m.content) {
      if (p.type === 'text') {
        if (p.text === '') continue;
        if (!text) {
          text = [];
          items.push({ type: 'message', role: 'assistant', content: text });
        }
        text.push({ type: 'output_text', text: p.text });
        continue;
      }
      text = undefined;
      if (p.type === 'tool_call') items.push({ type: 'function_call', call_id: p.id, name: p.name, arguments: JSON.stringify(p.input) });
      else if (p.type === 'thinking') {
        const sig = p.signature;
        if (sig?.origin !== 'openai-responses') {
          drops.add('thinking from another provider (its signature cannot be verified here)');
          continue;
        }
        // No item id: with store=false, ids would point at items OpenAI never kept.
        items.push({ type: 'reasoning', summary: p.text ? [{ type: 'summary_text', text: p.text }] : [], encrypted_content: sig.value });
      }
    }
  }
  return items;
}

/** IR → Responses API request. Stateless: `store: false`, reasoning carried as encrypted content. */
export function renderResponsesRequest(ir: IrRequest, ctx: RequestRenderContext): Record<string, unknown> {
  const { drops } = ctx;
  // OpenAI answers after a trailing assistant turn instead of continuing it.
  if (ir.messages.at(-1)?.role === 'assistant') drops.add('assistant prefill (answered, not continued)');
  const body: Record<string, unknown> = { model: ctx.model ?? ir.model, input: renderItems(ir.messages, drops) };
  const system = ir.system.filter((s) => s !== '').join('\n\n');
  if (system) body.instructions = system;
  if (ir.tools.length > 0) {
    body.tools = ir.tools.map((t) => ({
      type: 'function',
      name: t.name,
      ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.schema,
      // The API defaults to strict, which rejects most hand-written schemas.
      strict: t.strict === true,
    }));
    const tc = ir.toolChoice;
    if (tc) body.tool_choice = tc.type === 'tool' ? { type: 'function', name: tc.name } : tc.type;
    if (ir.parallelToolCalls !== undefined) body.parallel_tool_calls = ir.parallelToolCalls;
  }
  if (ir.maxTokens !== undefined) {
    if (ir.maxTokens < MIN_OUTPUT_TOKENS) drops.add(`max tokens below ${MIN_OUTPUT_TOKENS} (raised)`);
    body.max_output_tokens = Math.max(MIN_OUTPUT_TOKENS, ir.maxTokens);
  }
  if (ir.temperature !== undefined) body.temperature = ir.temperature;
  if (ir.topP !== undefined) body.top_p = ir.topP;
  if (ir.topK !== undefined) drops.add('top_k');
  if (ir.stop.length > 0) drops.add('stop sequences');
  if (ir.presencePenalty !== undefined) drops.add('presence penalty');
  if (ir.frequencyPenalty !== undefined) drops.add('frequency penalty');
  if (ir.seed !== undefined) drops.add('seed');
  const r = ir.reasoning;
  if (r?.enabled) {
    body.reasoning = { effort: r.effort ?? effortForBudget(r.budgetTokens ?? 0), summary: 'auto' };
    body.include = ['reasoning.encrypted_content'];
  } else if (r) drops.add('reasoning off (not every Responses model can turn it off)');
  const rf = ir.responseFormat;
  if (rf?.schema) body.text = { format: { type: 'json_schema', name: rf.name ?? 'response', schema: rf.schema, strict: rf.strict === true } };
  else if (rf) body.text = { format: { type: 'json_object' } };
  body.store = false;
  if (ir.stream) body.stream = true;
  return body;
}
