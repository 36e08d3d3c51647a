/** Gemini generateContent responses ↔ IR, with usage and finish-reason mapping. */
import { tokenCount, type Usage } from '../../../usage.ts';
import type { ResponseContext } from '../codec.ts';
import type { IrResponse, IrStopReason } from '../ir.ts';
import { encodeSignature, isRecord, nonceOf, pick, promptTotal, records, sanitizeId, str } from '../shared.ts';

const FILTERED = ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'LANGUAGE'];

/** Finish reason → IR. Gemini says STOP after function calls too; `sawCall` turns that into tool_use. */
export function geminiFinishIn(reason: unknown, sawCall: boolean): IrStopReason {
  if (reason === 'STOP') return sawCall ? 'tool_use' : 'end_turn';
  if (reason === 'MAX_TOKENS') return 'max_tokens';
  if (typeof reason === 'string' && FILTERED.includes(reason)) return 'content_filter';
  return 'error'; // MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL, OTHER …
}

export function geminiFinishOut(r: IrStopReason): string {
  if (r === 'max_tokens') return 'MAX_TOKENS';
  if (r === 'content_filter') return 'SAFETY';
  if (r === 'error') return 'OTHER';
  return 'STOP';
}

/** Gemini usage → normalised: the prompt count includes cached tokens; thoughts are outside the candidates count. */
export function geminiUsageIn(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const prompt = tokenCount(raw.promptTokenCount) + tokenCount(raw.toolUsePromptTokenCount);
  const cached = Math.min(tokenCount(raw.cachedContentTokenCount), prompt);
  const thoughts = tokenCount(raw.thoughtsTokenCount);
  return { inputTokens: prompt - cached, outputTokens: tokenCount(raw.candidatesTokenCount) + thoughts, cacheCreationTokens: 0, cacheReadTokens: cached, reasoningTokens: thoughts };
}

export function geminiUsageOut(u: Usage | undefined): Record<string, number> {
  const prompt = u ? promptTotal(u) : 0;
  const thoughts = u?.reasoningTokens ?? 0;
  const candidates = Math.max(0, (u?.outputTokens ?? 0) - thoughts);
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: candidates,
    totalTokenCount: prompt + candidates + thoughts,
    ...(u?.cacheReadTokens ? { cachedContentTokenCount: u.cacheReadTokens } : {}),
    ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
  };
}

/** A Gemini answer, out of its Code Assist `{ response }` envelope if it has one. */
export function unwrapCodeAssist(body: unknown): Record<string, unknown> {
  if (!isRecord(body)) return {};
  return isRecord(body.response) && body.candidates === undefined ? body.response : body;
}

/** Ids for Gemini's id-less function calls in an answer: unique per exchange. */
export function geminiCallId(requestId: string, n: number): string {
  return `call_${nonceOf(requestId)}_${n}`;
}

/** Gemini response body → IR (first candidate). */
export function parseGeminiResponse(body: unknown, ctx: ResponseContext): IrResponse {
  const b = unwrapCodeAssist(body);
  const cand = records(b.candidates)[0] ?? {};
  const content: IrResponse['content'] = [];
  let calls = 0;
  for (const p of records(isRecord(cand.content) ? cand.content.parts : undefined)) {
    const sig = str(pick(p, 'thoughtSignature', 'thought_signature'));
    const fc = pick(p, 'functionCall', 'function_call');
    if (typeof p.text === 'string' && p.thought === true) {
      const prev = content.at(-1);
      if (prev?.type === 'thinking' && !prev.signature) {
        prev.text += p.text;
        if (sig) prev.signature = { origin: 'gemini', value: sig };
      } else content.push({ type: 'thinking', text: p.text, ...(sig ? { signature: { origin: 'gemini', value: sig } } : {}) });
    } else if (typeof p.text === 'string') {
      const prev = content.at(-1);
      if (prev?.type === 'text') prev.text += p.text;
      else content.push({ type: 'text', text: p.text });
    } else if (isRecord(fc)) {
      if (sig) content.push({ type: 'thinking', text: '', signature: { origin: 'gemini', value: sig, next: true } });
      content.push({ type: 'tool_call', id: str(fc.id) ?? geminiCallId(ctx.requestId, calls), name: str(fc.name) ?? '', input: isRecord(fc.args) ? fc.args : {} });
      calls++;
    }
  }
  const feedback = isRecord(b.promptFeedback) ? b.promptFeedback : undefined;
  const stopReason = feedback?.blockReason !== undefined && records(b.candidates).length === 0 ? 'content_filter' : geminiFinishIn(cand.finishReason ?? 'STOP', calls > 0);
  const ir: IrResponse = { content, stopReason };
  if (typeof b.responseId === 'string') ir.id = b.responseId;
  if (typeof b.modelVersion === 'string') ir.model = b.modelVersion;
  const usage = geminiUsageIn(b.usageMetadata);
  if (usage) ir.usage = usage;
  return ir;
}

/** Parts for a Gemini client; signatures of other origins travel tagged on thought parts. */
export function renderGeminiParts(content: IrResponse['content']): Record<string, unknown>[] {
  const parts: Record<string, unknown>[] = [];
  let pendingSig: string | undefined;
  for (const p of content) {
    if (p.type === 'text') parts.push({ text: p.text });
    else if (p.type === 'thinking') {
      if (p.signature?.next) pendingSig = encodeSignature(p.signature);
      else parts.push({ text: p.text, thought: true, ...(p.signature ? { thoughtSignature: encodeSignature(p.signature) } : {}) });
    } else {
      parts.push({ functionCall: { id: sanitizeId(p.id), name: p.name, args: p.input }, ...(pendingSig ? { thoughtSignature: pendingSig } : {}) });
      pendingSig = undefined;
    }
  }
  return parts;
}

/** IR → Gemini response body. */
export function renderGeminiResponse(ir: IrResponse, ctx: ResponseContext): Record<string, unknown> {
  const body = {
    candidates: [{ content: { role: 'model', parts: renderGeminiParts(ir.content) }, finishReason: geminiFinishOut(ir.stopReason), index: 0 }],
    usageMetadata: geminiUsageOut(ir.usage),
    modelVersion: ctx.model ?? ir.model ?? '',
    responseId: ir.id ?? sanitizeId(ctx.requestId),
  };
  return ctx.codeAssist ? { response: body } : body;
}
