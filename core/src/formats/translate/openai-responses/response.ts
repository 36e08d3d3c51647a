/** OpenAI Responses API response objects ↔ IR, with usage and status mapping. */
import type { Usage } from '../../../usage.ts';
import type { ResponseContext } from '../codec.ts';
import type { IrResponse, IrStopReason } from '../ir.ts';
import { encodeSignature, isRecord, nonceOf, nowSeconds, parseArgs, promptTotal, records, sanitizeId, str, usageFromTotals } from '../shared.ts';

export function responsesUsageIn(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const id = isRecord(raw.input_tokens_details) ? raw.input_tokens_details : {};
  const od = isRecord(raw.output_tokens_details) ? raw.output_tokens_details : {};
  return usageFromTotals(raw.input_tokens, id.cached_tokens, raw.output_tokens, od.reasoning_tokens);
}

export function responsesUsageOut(u: Usage | undefined): Record<string, unknown> {
  const input = u ? promptTotal(u) : 0;
  const output = u?.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u?.cacheReadTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u?.reasoningTokens ?? 0 },
    total_tokens: input + output,
  };
}

/** Stop reason from a response's status, incomplete reason and output. */
export function responsesStopIn(r: Record<string, unknown>): IrStopReason {
  if (r.status === 'failed') return 'error';
  if (r.status === 'incomplete') {
    const reason = isRecord(r.incomplete_details) ? r.incomplete_details.reason : undefined;
    return reason === 'content_filter' ? 'content_filter' : 'max_tokens';
  }
  return records(r.output).some((i) => i.type === 'function_call') ? 'tool_use' : 'end_turn';
}

/** Status and incomplete details for a stop reason. */
export function responsesStatusOut(r: IrStopReason): { status: string; incomplete_details: Record<string, string> | null } {
  if (r === 'max_tokens') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (r === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export function responseId(providerId: string | undefined, requestId: string): string {
  return providerId?.startsWith('resp_') ? providerId : `resp_${sanitizeId(providerId ?? requestId)}`;
}

/** Item ids unique per response: `msg_…`, `rs_…`, `fc_…`. */
export function itemId(prefix: string, requestId: string, n: number): string {
  return `${prefix}_${nonceOf(requestId)}${n.toString(36).padStart(3, '0')}`;
}

/** The response envelope shared by streamed events and JSON bodies. */
export function responseEnvelope(id: string, model: string, createdAt: number, status: string, output: unknown[], extra: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    truncation: 'disabled',
    usage: null,
    metadata: {},
    ...extra,
  };
}

/** Responses API response object → IR. */
export function parseResponsesResponse(body: unknown): IrResponse {
  const b = isRecord(body) ? body : {};
  const content: IrResponse['content'] = [];
  for (const item of records(b.output)) {
    if (item.type === 'message') {
      for (const c of records(item.content)) {
        if (c.type === 'output_text') content.push({ type: 'text', text: str(c.text) ?? '' });
        else if (c.type === 'refusal') content.push({ type: 'text', text: str(c.refusal) ?? '' });
      }
    } else if (item.type === 'reasoning') {
      const summary = records(item.summary)
        .map((s) => str(s.text) ?? '')
        .join('\n\n');
      const raw = records(item.content)
        .map((c) => str(c.text) ?? '')
        .join('');
      const enc = str(item.encrypted_content);
      content.push({ type: 'thinking', text: summary || raw, ...(enc ? { signature: { origin: 'openai-responses', value: enc } } : {}) });
    } else if (item.type === 'function_call') {
      content.push({ type: 'tool_call', id: str(item.call_id) ?? '', name: str(item.name) ?? '', input: parseArgs(item.arguments) });
    }
  }
  const ir: IrResponse = { content, stopReason: responsesStopIn(b) };
  if (typeof b.id === 'string') ir.id = b.id;
  if (typeof b.model === 'string') ir.model = b.model;
  const usage = responsesUsageIn(b.usage);
  if (usage) ir.usage = usage;
  return ir;
}

/** IR → Responses API response object. */
export function renderResponsesResponse(ir: IrResponse, ctx: ResponseContext): Record<string, unknown> {
  const output: Record<string, unknown>[] = [];
  let message: Record<string, unknown>[] | undefined;
  let n = 0;
  for (const p of ir.content) {
    if (p.type === 'text') {
      if (!message) {
        message = [];
        output.push({ id: itemId('msg', ctx.requestId, n++), type: 'message', status: 'completed', role: 'assistant', content: message });
      }
      message.push({ type: 'output_text', text: p.text, annotations: [], logprobs: [] });
      continue;
    }
    message = undefined;
    if (p.type === 'thinking') {
      output.push({
        id: itemId('rs', ctx.requestId, n++),
        type: 'reasoning',
        summary: p.text ? [{ type: 'summary_text', text: p.text }] : [],
        ...(p.signature ? { encrypted_content: encodeSignature(p.signature) } : {}),
      });
    } else {
      output.push({ id: itemId('fc', ctx.requestId, n++), type: 'function_call', status: 'completed', call_id: sanitizeId(p.id), name: p.name, arguments: JSON.stringify(p.input) });
    }
  }
  const { status, incomplete_details } = responsesStatusOut(ir.stopReason);
  return responseEnvelope(responseId(ir.id, ctx.requestId), ctx.model ?? ir.model ?? '', nowSeconds(), status, output, {
    incomplete_details,
    usage: responsesUsageOut(ir.usage),
  });
}
