/** OpenAI Chat Completions responses ↔ IR, with usage and finish-reason mapping. */
import type { Usage } from '../../../usage.ts';
import type { ResponseContext } from '../codec.ts';
import type { IrResponse, IrStopReason } from '../ir.ts';
import { isRecord, joinText, nowSeconds, parseArgs, promptTotal, records, sanitizeId, str, usageFromTotals } from '../shared.ts';

const FINISH_IN: Record<string, IrStopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'content_filter',
};

const FINISH_OUT: Record<IrStopReason, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  content_filter: 'content_filter',
  error: 'stop',
};

export function chatFinishIn(v: unknown): IrStopReason {
  return FINISH_IN[String(v)] ?? 'end_turn';
}

export function chatFinishOut(r: IrStopReason): string {
  return FINISH_OUT[r];
}

/** Chat usage → normalised; DeepSeek-style `prompt_cache_hit_tokens` counts as cached. */
export function chatUsageIn(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const pd = isRecord(raw.prompt_tokens_details) ? raw.prompt_tokens_details : {};
  const cd = isRecord(raw.completion_tokens_details) ? raw.completion_tokens_details : {};
  return usageFromTotals(raw.prompt_tokens, pd.cached_tokens ?? raw.prompt_cache_hit_tokens, raw.completion_tokens, cd.reasoning_tokens);
}

export function chatUsageOut(u: Usage | undefined): Record<string, unknown> {
  const prompt = u ? promptTotal(u) : 0;
  const completion = u?.outputTokens ?? 0;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: u?.cacheReadTokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u?.reasoningTokens ?? 0 },
  };
}

export function chatCompletionId(providerId: string | undefined, requestId: string): string {
  return providerId?.startsWith('chatcmpl') ? providerId : `chatcmpl-${sanitizeId(providerId ?? requestId)}`;
}

/** Chat Completions response body → IR (first choice). */
export function parseChatResponse(body: unknown): IrResponse {
  const b = isRecord(body) ? body : {};
  const choice = records(b.choices)[0] ?? {};
  const msg = isRecord(choice.message) ? choice.message : {};
  const content: IrResponse['content'] = [];
  const reasoning = str(msg.reasoning_content) ?? str(msg.reasoning);
  if (reasoning) content.push({ type: 'thinking', text: reasoning });
  const text = typeof msg.content === 'string' ? msg.content : '';
  if (text) content.push({ type: 'text', text });
  else if (typeof msg.refusal === 'string' && msg.refusal) content.push({ type: 'text', text: msg.refusal });
  for (const tc of records(msg.tool_calls)) {
    const fn = isRecord(tc.function) ? tc.function : {};
    content.push({ type: 'tool_call', id: str(tc.id) ?? '', name: str(fn.name) ?? '', input: parseArgs(fn.arguments) });
  }
  const ir: IrResponse = { content, stopReason: chatFinishIn(choice.finish_reason) };
  if (typeof b.id === 'string') ir.id = b.id;
  if (typeof b.model === 'string') ir.model = b.model;
  const usage = chatUsageIn(b.usage);
  if (usage) ir.usage = usage;
  return ir;
}

/** IR → Chat Completions response body. Thinking goes out as `reasoning_content`, the common extension. */
export function renderChatResponse(ir: IrResponse, ctx: ResponseContext): Record<string, unknown> {
  const text = joinText(ir.content);
  const reasoning = ir.content
    .filter((p) => p.type === 'thinking')
    .map((p) => p.text)
    .join('');
  const calls = ir.content.flatMap((p) =>
    p.type === 'tool_call' ? [{ id: sanitizeId(p.id), type: 'function', function: { name: p.name, arguments: JSON.stringify(p.input) } }] : [],
  );
  const message: Record<string, unknown> = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text, refusal: null };
  if (reasoning) message.reasoning_content = reasoning;
  if (calls.length > 0) message.tool_calls = calls;
  return {
    id: chatCompletionId(ir.id, ctx.requestId),
    object: 'chat.completion',
    created: nowSeconds(),
    model: ctx.model ?? ir.model ?? '',
    choices: [{ index: 0, message, logprobs: null, finish_reason: chatFinishOut(ir.stopReason) }],
    usage: chatUsageOut(ir.usage),
  };
}
