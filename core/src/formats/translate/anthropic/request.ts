/** Anthropic Messages requests ↔ IR. */
import { GatewayError } from '../../../errors.ts';
import type { RequestParseContext, RequestRenderContext } from '../codec.ts';
import type { IrMessage, IrPart, IrReasoning, IrRequest, IrSource, IrText, IrImage, IrTool, IrToolChoice } from '../ir.ts';
import {
  EFFORT_BUDGET,
  type Drops,
  decodeSignature,
  isEffort,
  isRecord,
  linkToolResults,
  noteUnknownKeys,
  num,
  pushMessage,
  records,
  sanitizeId,
  sourceFromUrl,
  str,
} from '../shared.ts';

/** Anthropic requires `max_tokens`; this is used when the client's format had none. */
export const DEFAULT_MAX_TOKENS = 8192;
/** Anthropic's smallest thinking budget. */
const MIN_BUDGET = 1024;

const HANDLED = [
  'model',
  'messages',
  'system',
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'stop_sequences',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
  'output_format',
];

function fileIdError(): GatewayError {
  return new GatewayError(400, 'invalid_request', 'file_id sources refer to files stored at Anthropic and cannot be sent to this provider');
}

function parseSource(s: unknown): IrSource | undefined {
  if (!isRecord(s)) return undefined;
  if (s.type === 'base64' && typeof s.data === 'string') return { kind: 'base64', mediaType: str(s.media_type) ?? 'application/octet-stream', data: s.data };
  if (s.type === 'url' && typeof s.url === 'string') return sourceFromUrl(s.url);
  if (s.type === 'file') throw fileIdError();
  return undefined;
}

function parseBlock(b: Record<string, unknown>, drops: Drops): IrPart[] {
  if (b.cache_control !== undefined) drops.add('cache_control');
  switch (b.type) {
    case 'text':
      if (b.citations) drops.add('citations');
      return [{ type: 'text', text: str(b.text) ?? '' }];
    case 'image': {
      const source = parseSource(b.source);
      return source ? [{ type: 'image', source }] : [];
    }
    case 'document': {
      const s = b.source;
      if (isRecord(s) && s.type === 'text') return [{ type: 'text', text: str(s.data) ?? '' }];
      if (isRecord(s) && s.type === 'content') return records(s.content).flatMap((c) => parseBlock(c, drops));
      const source = parseSource(s);
      if (b.title !== undefined || b.context !== undefined) drops.add('document title/context');
      return source ? [{ type: 'file', source, ...(typeof b.title === 'string' ? { filename: b.title } : {}) }] : [];
    }
    case 'tool_use':
      return [{ type: 'tool_call', id: str(b.id) ?? '', name: str(b.name) ?? '', input: isRecord(b.input) ? b.input : {} }];
    case 'tool_result': {
      const content: (IrText | IrImage)[] = [];
      if (typeof b.content === 'string') content.push({ type: 'text', text: b.content });
      else
        for (const c of records(b.content)) {
          for (const p of parseBlock(c, drops)) {
            if (p.type === 'text' || p.type === 'image') content.push(p);
            else drops.add(`${p.type} inside tool_result`);
          }
        }
      return [{ type: 'tool_result', id: str(b.tool_use_id) ?? '', content, ...(b.is_error === true ? { isError: true } : {}) }];
    }
    case 'thinking': {
      const sig = str(b.signature);
      return [{ type: 'thinking', text: str(b.thinking) ?? '', ...(sig ? { signature: decodeSignature(sig, 'anthropic-messages') } : {}) }];
    }
    case 'redacted_thinking': {
      const data = str(b.data);
      if (!data) return [];
      const sig = decodeSignature(data, 'anthropic-messages');
      if (sig.origin === 'anthropic-messages') sig.redacted = true;
      return [{ type: 'thinking', text: '', signature: sig }];
    }
    default:
      // server_tool_use, web_search_tool_result, mcp_tool_use, container_upload, search_result …
      drops.add(`${String(b.type)} blocks`);
      return [];
  }
}

function parseContent(content: unknown, drops: Drops): IrPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return records(content).flatMap((b) => parseBlock(b, drops));
}

function parseTools(tools: unknown, drops: Drops): IrTool[] {
  const out: IrTool[] = [];
  for (const t of records(tools)) {
    if (t.type !== undefined && t.type !== 'custom') {
      drops.add(`server/built-in tool ${String(t.name ?? t.type)} (${String(t.type)})`);
      continue;
    }
    if (t.cache_control !== undefined) drops.add('cache_control');
    const schema = isRecord(t.input_schema) ? t.input_schema : { type: 'object', properties: {} };
    out.push({ name: str(t.name) ?? '', ...(typeof t.description === 'string' ? { description: t.description } : {}), schema, ...(t.strict === true ? { strict: true } : {}) });
  }
  return out;
}

function parseToolChoice(tc: unknown, ir: IrRequest): void {
  if (!isRecord(tc)) return;
  const map: Record<string, IrToolChoice | undefined> = {
    auto: { type: 'auto' },
    any: { type: 'required' },
    none: { type: 'none' },
    tool: typeof tc.name === 'string' ? { type: 'tool', name: tc.name } : undefined,
  };
  const choice = map[String(tc.type)];
  if (choice) ir.toolChoice = choice;
  if (tc.disable_parallel_tool_use === true) ir.parallelToolCalls = false;
}

function parseReasoning(body: Record<string, unknown>): IrReasoning | undefined {
  const t = isRecord(body.thinking) ? body.thinking : undefined;
  const oc = isRecord(body.output_config) ? body.output_config : undefined;
  const effort = isEffort(oc?.effort) ? oc.effort : undefined;
  if (t?.type === 'disabled') return { enabled: false };
  if (t?.type === 'enabled') return { enabled: true, ...(num(t.budget_tokens) !== undefined ? { budgetTokens: num(t.budget_tokens) } : {}), ...(effort ? { effort } : {}) };
  if (t?.type === 'adaptive' || effort) return { enabled: true, effort: effort ?? 'high' };
  return undefined;
}

/** Anthropic Messages request → IR. */
export function parseAnthropicRequest(body: Record<string, unknown>, ctx: RequestParseContext): IrRequest {
  const { drops } = ctx;
  noteUnknownKeys(body, HANDLED, drops);
  const ir: IrRequest = { model: str(body.model) ?? ctx.model, system: [], messages: [], tools: parseTools(body.tools, drops), stop: [], stream: body.stream === true };
  if (typeof body.system === 'string') ir.system.push(body.system);
  else
    for (const b of records(body.system)) {
      if (b.cache_control !== undefined) drops.add('cache_control');
      if (typeof b.text === 'string') ir.system.push(b.text);
    }
  for (const m of records(body.messages)) {
    pushMessage(ir.messages, m.role === 'assistant' ? 'assistant' : 'user', parseContent(m.content, drops));
  }
  linkToolResults(ir.messages);
  parseToolChoice(body.tool_choice, ir);
  ir.maxTokens = num(body.max_tokens);
  ir.temperature = num(body.temperature);
  ir.topP = num(body.top_p);
  ir.topK = num(body.top_k);
  if (Array.isArray(body.stop_sequences)) ir.stop = body.stop_sequences.filter((s): s is string => typeof s === 'string');
  ir.reasoning = parseReasoning(body);
  const oc = isRecord(body.output_config) ? body.output_config : undefined;
  const format = isRecord(oc?.format) ? oc.format : isRecord(body.output_format) ? body.output_format : undefined;
  if (format?.type === 'json_schema' && isRecord(format.schema)) ir.responseFormat = { type: 'json', schema: format.schema };
  return ir;
}

function renderSource(source: IrSource): Record<string, unknown> {
  return source.kind === 'base64' ? { type: 'base64', media_type: source.mediaType, data: source.data } : { type: 'url', url: source.url };
}

function renderPart(p: IrPart, drops: Drops): Record<string, unknown> | undefined {
  switch (p.type) {
    case 'text':
      return p.text === '' ? undefined : { type: 'text', text: p.text };
    case 'image':
      return { type: 'image', source: renderSource(p.source) };
    case 'file': {
      const mt = p.source.kind === 'base64' ? p.source.mediaType : (p.source.mediaType ?? 'application/pdf');
      if (p.source.kind === 'base64' && mt.startsWith('text/')) {
        return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(p.source.data, 'base64').toString('utf8') } };
      }
      if (mt !== 'application/pdf') throw new GatewayError(400, 'invalid_request', `Anthropic accepts PDF and text documents only, not ${mt}`);
      return { type: 'document', source: renderSource(p.source), ...(p.filename ? { title: p.filename } : {}) };
    }
    case 'tool_call':
      return { type: 'tool_use', id: sanitizeId(p.id), name: p.name, input: p.input };
    case 'tool_result': {
      const content = p.content.map((c) => renderPart(c, drops)).filter((c) => c !== undefined);
      const onlyText = content.every((c) => c.type === 'text');
      return {
        type: 'tool_result',
        tool_use_id: sanitizeId(p.id),
        content: onlyText ? content.map((c) => c.text).join('') : content,
        ...(p.isError ? { is_error: true } : {}),
      };
    }
    case 'thinking': {
      const sig = p.signature;
      if (!sig || sig.origin !== 'anthropic-messages' || sig.value === '') {
        drops.add('thinking from another provider (its signature cannot be verified here)');
        return undefined;
      }
      return sig.redacted ? { type: 'redacted_thinking', data: sig.value } : { type: 'thinking', thinking: p.text, signature: sig.value };
    }
  }
}

function renderMessages(messages: IrMessage[], drops: Drops): Record<string, unknown>[] {
  const out: { role: string; content: Record<string, unknown>[] }[] = [];
  for (const m of messages) {
    let blocks = m.content.map((p) => renderPart(p, drops)).filter((b) => b !== undefined);
    // Tool results must open the user turn that answers the calls.
    if (m.role === 'user') blocks = [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')];
    if (blocks.length === 0) continue;
    const last = out.at(-1);
    if (last && last.role === m.role) last.content.push(...blocks);
    else out.push({ role: m.role, content: blocks });
  }
  return out;
}

/**
 * With thinking on, Anthropic insists that the assistant turn of an open tool loop starts with
 * its own signed thinking block. A history from another format has none, so thinking goes.
 */
function toolLoopLacksThinking(messages: Record<string, unknown>[]): boolean {
  const lastAssistant = messages.findLast((m) => m.role === 'assistant');
  const blocks = (lastAssistant?.content as Record<string, unknown>[] | undefined) ?? [];
  if (!blocks.some((b) => b.type === 'tool_use')) return false;
  return blocks[0]?.type !== 'thinking' && blocks[0]?.type !== 'redacted_thinking';
}

function renderTools(tools: IrTool[]): Record<string, unknown>[] {
  return tools.map((t) => ({
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    input_schema: t.schema.type === 'object' ? t.schema : { type: 'object', properties: {}, ...t.schema },
  }));
}

function renderToolChoice(ir: IrRequest): Record<string, unknown> | undefined {
  const tc = ir.toolChoice;
  const base: Record<string, unknown> | undefined =
    tc?.type === 'required' ? { type: 'any' } : tc?.type === 'tool' ? { type: 'tool', name: tc.name } : tc ? { type: tc.type } : undefined;
  if (ir.parallelToolCalls !== false || tc?.type === 'none') return base;
  return { ...(base ?? { type: 'auto' }), disable_parallel_tool_use: true };
}

/** IR → Anthropic Messages request. */
export function renderAnthropicRequest(ir: IrRequest, ctx: RequestRenderContext): Record<string, unknown> {
  const { drops } = ctx;
  const messages = renderMessages(ir.messages, drops);
  const body: Record<string, unknown> = { model: ctx.model ?? ir.model, max_tokens: ir.maxTokens ?? DEFAULT_MAX_TOKENS, messages };
  const system = ir.system.filter((s) => s !== '');
  if (system.length > 0) body.system = system.map((text) => ({ type: 'text', text }));
  if (ir.tools.length > 0) {
    body.tools = renderTools(ir.tools);
    const tc = renderToolChoice(ir);
    if (tc) body.tool_choice = tc;
    if (ir.tools.some((t) => t.strict)) drops.add('tool strict mode');
  }
  let thinking = false;
  const r = ir.reasoning;
  if (r?.enabled) {
    let budget = Math.max(MIN_BUDGET, r.budgetTokens ?? EFFORT_BUDGET[r.effort ?? 'medium']);
    if (ir.maxTokens !== undefined && budget >= ir.maxTokens) budget = ir.maxTokens - 1;
    if (budget < MIN_BUDGET) drops.add('thinking (max tokens leave no room for the minimum thinking budget)');
    else if (toolLoopLacksThinking(messages)) drops.add('thinking (the open tool-call turn carries no Anthropic thinking block)');
    else {
      body.thinking = { type: 'enabled', budget_tokens: budget };
      // max_tokens includes thinking; without a client limit, leave the default for the answer.
      if (ir.maxTokens === undefined) body.max_tokens = DEFAULT_MAX_TOKENS + budget;
      thinking = true;
    }
  }
  if (ir.temperature !== undefined) {
    if (thinking && ir.temperature !== 1) drops.add('temperature (thinking requires the default)');
    else if (ir.temperature > 1) {
      drops.add('temperature above 1 (clamped to 1)');
      body.temperature = 1;
    } else body.temperature = ir.temperature;
  }
  if (ir.topP !== undefined) {
    if (thinking && ir.topP < 0.95) drops.add('top_p (thinking requires 0.95 or more)');
    else body.top_p = ir.topP;
  }
  if (ir.topK !== undefined) {
    if (thinking) drops.add('top_k (not allowed with thinking)');
    else body.top_k = ir.topK;
  }
  if (ir.stop.length > 0) body.stop_sequences = ir.stop;
  if (ir.responseFormat) drops.add('response format (JSON mode)');
  if (ir.presencePenalty !== undefined) drops.add('presence penalty');
  if (ir.frequencyPenalty !== undefined) drops.add('frequency penalty');
  if (ir.seed !== undefined) drops.add('seed');
  if (ir.stream) body.stream = true;
  return body;
}
