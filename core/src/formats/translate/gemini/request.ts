/** Gemini generateContent requests ↔ IR. */
import { GatewayError } from '../../../errors.ts';
import type { RequestParseContext, RequestRenderContext } from '../codec.ts';
import type { IrImage, IrMessage, IrPart, IrReasoning, IrRequest, IrSource, IrText, IrTool, IrToolCall, IrToolChoice } from '../ir.ts';
import { fromGeminiSchema, toGeminiSchema } from '../schema.ts';
import {
  EFFORT_BUDGET,
  type Drops,
  decodeSignature,
  isEffort,
  isRecord,
  joinText,
  linkToolResults,
  noteUnknownKeys,
  num,
  pick,
  pushMessage,
  records,
  sanitizeId,
  str,
} from '../shared.ts';

const HANDLED = ['contents', 'systemInstruction', 'system_instruction', 'tools', 'toolConfig', 'tool_config', 'generationConfig', 'generation_config', 'model'];
const GEN_HANDLED = [
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'stopSequences',
  'candidateCount',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'thinkingConfig',
  'presencePenalty',
  'frequencyPenalty',
  'seed',
];
/** Gemini rejects more than five stop sequences. */
const MAX_STOP = 5;
/**
 * Gemini 3 rejects a function call in the current turn without a thought signature. Calls that
 * came from another format have none; Google documents this value for exactly that case.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

function bad(message: string): GatewayError {
  return new GatewayError(400, 'invalid_request', message);
}

/** Gemini-hosted files (Files API, Cloud Storage) that other providers cannot fetch. */
function isGoogleFile(uri: string): boolean {
  return uri.startsWith('gs://') || uri.startsWith('https://generativelanguage.googleapis.com/');
}

function mediaPart(mimeType: string, source: IrSource): IrPart {
  return mimeType.startsWith('image/') ? { type: 'image', source } : { type: 'file', source };
}

function toolResultContent(fr: Record<string, unknown>): { content: (IrText | IrImage)[]; isError: boolean } {
  const r = isRecord(fr.response) ? fr.response : {};
  const keys = Object.keys(r);
  let text: string;
  let isError = false;
  if (keys.length === 1 && typeof r.output === 'string') text = r.output;
  else if (keys.length === 1 && typeof r.content === 'string') text = r.content;
  else if (keys.length === 1 && r.error !== undefined) {
    isError = true;
    text = typeof r.error === 'string' ? r.error : JSON.stringify(r.error);
  } else text = JSON.stringify(r);
  const content: (IrText | IrImage)[] = [{ type: 'text', text }];
  for (const p of records(fr.parts)) {
    const inline = pick(p, 'inlineData', 'inline_data');
    if (isRecord(inline) && typeof inline.data === 'string') {
      content.push({ type: 'image', source: { kind: 'base64', mediaType: str(pick(inline, 'mimeType', 'mime_type')) ?? 'image/png', data: inline.data } });
    }
  }
  return { content, isError };
}

/**
 * Tool-call ids for a Gemini history, which has none: stable across turns because the history is
 * replayed in full, and results are matched to calls by name, in order.
 */
function createIdMatcher() {
  let ordinal = 0;
  let pending: IrToolCall[] = [];
  return {
    call(name: string, id: string | undefined): string {
      const callId = id ?? `call_${sanitizeId(name).slice(0, 24)}_${ordinal}`;
      ordinal++;
      return callId;
    },
    turn(calls: IrToolCall[]) {
      pending = [...calls];
    },
    result(name: string, id: string | undefined): string {
      const i = id !== undefined ? pending.findIndex((c) => c.id === id) : pending.findIndex((c) => c.name === name);
      const match = i >= 0 ? pending.splice(i, 1)[0]! : pending.shift();
      return id ?? match?.id ?? `call_${sanitizeId(name).slice(0, 24)}_orphan`;
    },
  };
}

function parseParts(parts: Record<string, unknown>[], role: IrMessage['role'], ids: ReturnType<typeof createIdMatcher>, drops: Drops): IrPart[] {
  const out: IrPart[] = [];
  for (const p of parts) {
    const sigRaw = str(pick(p, 'thoughtSignature', 'thought_signature'));
    const fc = pick(p, 'functionCall', 'function_call');
    const fr = pick(p, 'functionResponse', 'function_response');
    const inline = pick(p, 'inlineData', 'inline_data');
    const file = pick(p, 'fileData', 'file_data');
    if (typeof p.text === 'string' && p.thought === true) {
      const prev = out.at(-1);
      const sig = sigRaw ? decodeSignature(sigRaw, 'gemini') : undefined;
      // A thought run arrives as many parts, the signature on the last: one thinking block.
      if (prev?.type === 'thinking' && !prev.signature) {
        prev.text += p.text;
        if (sig) prev.signature = sig;
      } else out.push({ type: 'thinking', text: p.text, ...(sig ? { signature: sig } : {}) });
    } else if (typeof p.text === 'string') {
      out.push({ type: 'text', text: p.text });
    } else if (isRecord(fc)) {
      if (sigRaw) out.push({ type: 'thinking', text: '', signature: { ...decodeSignature(sigRaw, 'gemini'), next: true } });
      const name = str(fc.name) ?? '';
      out.push({ type: 'tool_call', id: ids.call(name, str(fc.id)), name, input: isRecord(fc.args) ? fc.args : {} });
    } else if (isRecord(fr)) {
      const name = str(fr.name) ?? '';
      const { content, isError } = toolResultContent(fr);
      out.push({ type: 'tool_result', id: ids.result(name, str(fr.id)), name, content, ...(isError ? { isError } : {}) });
    } else if (isRecord(inline) && typeof inline.data === 'string') {
      const mt = str(pick(inline, 'mimeType', 'mime_type')) ?? 'application/octet-stream';
      out.push(mediaPart(mt, { kind: 'base64', mediaType: mt, data: inline.data }));
    } else if (isRecord(file)) {
      const uri = str(pick(file, 'fileUri', 'file_uri')) ?? '';
      if (isGoogleFile(uri)) throw bad(`${uri} is stored at Google and cannot be sent to this provider`);
      const mt = str(pick(file, 'mimeType', 'mime_type'));
      out.push(mediaPart(mt ?? 'image/*', { kind: 'url', url: uri, ...(mt ? { mediaType: mt } : {}) }));
    } else drops.add(`${Object.keys(p).join('/')} parts`);
  }
  if (role === 'assistant') ids.turn(out.filter((x): x is IrToolCall => x.type === 'tool_call'));
  return out;
}

function parseTools(tools: unknown, drops: Drops): IrTool[] {
  const out: IrTool[] = [];
  for (const t of records(tools)) {
    for (const k of Object.keys(t)) {
      if (k !== 'functionDeclarations' && k !== 'function_declarations') drops.add(`${k} tool`);
    }
    for (const d of records(pick(t, 'functionDeclarations', 'function_declarations'))) {
      const json = pick(d, 'parametersJsonSchema', 'parameters_json_schema');
      const schema = isRecord(json) ? json : isRecord(d.parameters) ? fromGeminiSchema(d.parameters) : { type: 'object', properties: {} };
      out.push({ name: str(d.name) ?? '', ...(typeof d.description === 'string' ? { description: d.description } : {}), schema });
    }
  }
  return out;
}

function parseToolChoice(tc: unknown, drops: Drops): IrToolChoice | undefined {
  const fcc = isRecord(tc) ? pick(tc, 'functionCallingConfig', 'function_calling_config') : undefined;
  if (!isRecord(fcc)) return undefined;
  const allowed = pick(fcc, 'allowedFunctionNames', 'allowed_function_names');
  const names = Array.isArray(allowed) ? allowed.filter((n): n is string => typeof n === 'string') : [];
  switch (fcc.mode) {
    case 'NONE':
      return { type: 'none' };
    case 'ANY':
      if (names.length === 1) return { type: 'tool', name: names[0]! };
      if (names.length > 1) drops.add('allowedFunctionNames');
      return { type: 'required' };
    case 'VALIDATED':
      drops.add('function calling mode VALIDATED (as AUTO)');
      return { type: 'auto' };
    default:
      return { type: 'auto' };
  }
}

function parseThinking(tc: unknown): IrReasoning | undefined {
  if (!isRecord(tc)) return undefined;
  const budget = num(pick(tc, 'thinkingBudget', 'thinking_budget'));
  const level = pick(tc, 'thinkingLevel', 'thinking_level');
  const effort = typeof level === 'string' ? level.toLowerCase() : undefined;
  if (budget === 0) return { enabled: false };
  if (budget !== undefined && budget > 0) return { enabled: true, budgetTokens: budget };
  return { enabled: true, ...(isEffort(effort) ? { effort } : {}) };
}

/** Gemini generateContent request → IR. */
export function parseGeminiRequest(envelope: Record<string, unknown>, ctx: RequestParseContext): IrRequest {
  const { drops } = ctx;
  // Code Assist wraps the request: { model, project, user_prompt_id, request }.
  const wrapped = isRecord(envelope.request) && envelope.contents === undefined;
  const body = wrapped ? (envelope.request as Record<string, unknown>) : envelope;
  if (pick(body, 'cachedContent', 'cached_content') !== undefined) throw bad('cachedContent refers to a cache stored at Google and cannot be sent to this provider');
  noteUnknownKeys(body, wrapped ? [...HANDLED, 'session_id'] : HANDLED, drops);
  const ir: IrRequest = { model: ctx.model ?? str(envelope.model), system: [], messages: [], tools: parseTools(body.tools, drops), stop: [], stream: ctx.stream };
  const si = pick(body, 'systemInstruction', 'system_instruction');
  if (typeof si === 'string') ir.system.push(si);
  else if (isRecord(si)) ir.system.push(joinText(records(si.parts).map((p) => ({ type: 'text', text: str(p.text) ?? '' }))));
  const ids = createIdMatcher();
  for (const c of records(body.contents)) {
    const role = c.role === 'model' ? 'assistant' : 'user';
    pushMessage(ir.messages, role, parseParts(records(c.parts), role, ids, drops));
  }
  linkToolResults(ir.messages);
  const tc = parseToolChoice(pick(body, 'toolConfig', 'tool_config'), drops);
  if (tc) ir.toolChoice = tc;
  const gcRaw = pick(body, 'generationConfig', 'generation_config');
  const gc = isRecord(gcRaw) ? normaliseKeys(gcRaw) : {};
  noteUnknownKeys(gc, GEN_HANDLED, drops);
  if (typeof gc.candidateCount === 'number' && gc.candidateCount > 1) throw bad('candidateCount > 1 cannot be translated to this provider');
  ir.maxTokens = num(gc.maxOutputTokens);
  ir.temperature = num(gc.temperature);
  ir.topP = num(gc.topP);
  ir.topK = num(gc.topK);
  if (Array.isArray(gc.stopSequences)) ir.stop = gc.stopSequences.filter((s): s is string => typeof s === 'string');
  if (gc.responseMimeType === 'application/json') {
    const schema = isRecord(gc.responseJsonSchema) ? gc.responseJsonSchema : isRecord(gc.responseSchema) ? fromGeminiSchema(gc.responseSchema) : undefined;
    ir.responseFormat = { type: 'json', ...(schema ? { schema } : {}) };
  }
  ir.reasoning = parseThinking(gc.thinkingConfig);
  ir.presencePenalty = num(gc.presencePenalty);
  ir.frequencyPenalty = num(gc.frequencyPenalty);
  ir.seed = num(gc.seed);
  return ir;
}

/** snake_case keys of one object level → camelCase (the API accepts both spellings). */
function normaliseKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

function renderMedia(source: IrSource): Record<string, unknown> {
  if (source.kind === 'base64') return { inlineData: { mimeType: source.mediaType, data: source.data } };
  // Gemini fetches only its own files and Cloud Storage; any other URL cannot be served faithfully.
  if (!isGoogleFile(source.url)) throw bad('Gemini accepts images and files inline (base64) or as gs:// / Files API URIs, not as web URLs');
  return { fileData: { mimeType: source.mediaType ?? 'application/octet-stream', fileUri: source.url } };
}

function geminiMajor(model: string | undefined): number {
  const m = /gemini-(\d+)/.exec(model ?? '');
  return m ? Number(m[1]) : 0;
}

function renderParts(m: IrMessage, needsSignature: boolean, drops: Drops): Record<string, unknown>[] {
  const parts: Record<string, unknown>[] = [];
  const results: Record<string, unknown>[] = [];
  let pendingSig: string | undefined;
  let firstCall = true;
  for (const p of m.content) {
    switch (p.type) {
      case 'text':
        if (p.text !== '') parts.push({ text: p.text });
        break;
      case 'image':
      case 'file':
        parts.push(renderMedia(p.source));
        break;
      case 'thinking': {
        const sig = p.signature;
        if (sig?.origin !== 'gemini') {
          drops.add('thinking from another provider (its signature cannot be verified here)');
        } else if (sig.next) pendingSig = sig.value;
        else parts.push({ text: p.text, thought: true, thoughtSignature: sig.value });
        break;
      }
      case 'tool_call': {
        const sig = pendingSig ?? (needsSignature && firstCall ? SKIP_SIGNATURE : undefined);
        parts.push({ functionCall: { name: p.name, args: p.input }, ...(sig ? { thoughtSignature: sig } : {}) });
        pendingSig = undefined;
        firstCall = false;
        break;
      }
      case 'tool_result': {
        const text = joinText(p.content);
        results.push({ functionResponse: { name: p.name ?? p.id, response: p.isError ? { error: text } : { output: text } } });
        for (const c of p.content) if (c.type === 'image') results.push(renderMedia(c.source));
        break;
      }
    }
  }
  return [...results, ...parts];
}

function renderThinking(r: IrReasoning | undefined, drops: Drops): Record<string, unknown> | undefined {
  if (!r) return undefined;
  if (!r.enabled) {
    drops.add('reasoning off (left to the Gemini model)');
    return undefined;
  }
  return { thinkingBudget: r.budgetTokens ?? EFFORT_BUDGET[r.effort ?? 'medium'], includeThoughts: true };
}

/** IR → Gemini generateContent request. The model and the stream flag go in the URL (see endpoint.ts). */
export function renderGeminiRequest(ir: IrRequest, ctx: RequestRenderContext): Record<string, unknown> {
  const { drops } = ctx;
  const needsSignature = geminiMajor(ctx.model ?? ir.model) >= 3;
  const contents: Record<string, unknown>[] = [];
  for (const m of ir.messages) {
    const parts = renderParts(m, needsSignature, drops);
    if (parts.length === 0) continue;
    const role = m.role === 'assistant' ? 'model' : 'user';
    const last = contents.at(-1);
    if (last && last.role === role) (last.parts as unknown[]).push(...parts);
    else contents.push({ role, parts });
  }
  const body: Record<string, unknown> = { contents };
  const system = ir.system.filter((s) => s !== '').join('\n\n');
  if (system) body.systemInstruction = { parts: [{ text: system }] };
  if (ir.tools.length > 0) {
    const functionDeclarations = ir.tools.map((t) => {
      const parameters = toGeminiSchema(t.schema, drops);
      return { name: t.name, ...(t.description !== undefined ? { description: t.description } : {}), ...(parameters ? { parameters } : {}) };
    });
    body.tools = [{ functionDeclarations }];
    const tc = ir.toolChoice;
    if (tc) {
      const mode = tc.type === 'none' ? 'NONE' : tc.type === 'auto' ? 'AUTO' : 'ANY';
      body.toolConfig = { functionCallingConfig: { mode, ...(tc.type === 'tool' ? { allowedFunctionNames: [tc.name] } : {}) } };
    }
    if (ir.parallelToolCalls === false) drops.add('parallel tool calls off');
    if (ir.tools.some((t) => t.strict)) drops.add('tool strict mode');
  }
  const gc: Record<string, unknown> = {};
  if (ir.maxTokens !== undefined) gc.maxOutputTokens = ir.maxTokens;
  if (ir.temperature !== undefined) gc.temperature = ir.temperature;
  if (ir.topP !== undefined) gc.topP = ir.topP;
  if (ir.topK !== undefined) gc.topK = ir.topK;
  if (ir.stop.length > MAX_STOP) drops.add(`stop sequences beyond the first ${MAX_STOP}`);
  if (ir.stop.length > 0) gc.stopSequences = ir.stop.slice(0, MAX_STOP);
  if (ir.responseFormat) {
    gc.responseMimeType = 'application/json';
    const schema = ir.responseFormat.schema ? toGeminiSchema(ir.responseFormat.schema, drops) : undefined;
    if (schema) gc.responseSchema = schema;
  }
  const thinking = renderThinking(ir.reasoning, drops);
  if (thinking) gc.thinkingConfig = thinking;
  if (ir.presencePenalty !== undefined) gc.presencePenalty = ir.presencePenalty;
  if (ir.frequencyPenalty !== undefined) gc.frequencyPenalty = ir.frequencyPenalty;
  if (ir.seed !== undefined) gc.seed = ir.seed;
  if (Object.keys(gc).length > 0) body.generationConfig = gc;
  return body;
}
