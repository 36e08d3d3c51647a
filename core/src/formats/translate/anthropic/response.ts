/** Anthropic Messages responses ↔ IR, with usage and stop-reason mapping. */
import { tokenCount, type Usage } from '../../../usage.ts';
import type { ResponseContext } from '../codec.ts';
import type { IrResponse, IrStopReason } from '../ir.ts';
import { encodeSignature, isRecord, records, sanitizeId, str } from '../shared.ts';

const STOP_IN: Record<string, IrStopReason> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  tool_use: 'tool_use',
  stop_sequence: 'stop_sequence',
  refusal: 'content_filter',
  pause_turn: 'end_turn',
  model_context_window_exceeded: 'max_tokens',
};

const STOP_OUT: Record<IrStopReason, string> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  tool_use: 'tool_use',
  stop_sequence: 'stop_sequence',
  content_filter: 'refusal',
  error: 'end_turn',
};

export function anthropicStopIn(v: unknown): IrStopReason {
  return STOP_IN[String(v)] ?? 'end_turn';
}

export function anthropicStopOut(r: IrStopReason): string {
  return STOP_OUT[r];
}

/** Anthropic usage → normalised usage (input excludes cache reads and writes). */
export function anthropicUsageIn(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  const cc = isRecord(raw.cache_creation) ? raw.cache_creation : undefined;
  const c5 = tokenCount(cc?.ephemeral_5m_input_tokens);
  const c1h = tokenCount(cc?.ephemeral_1h_input_tokens);
  const total = tokenCount(raw.cache_creation_input_tokens);
  const u: Usage = {
    inputTokens: tokenCount(raw.input_tokens),
    outputTokens: tokenCount(raw.output_tokens),
    cacheCreationTokens: Math.max(total, c5 + c1h),
    cacheReadTokens: tokenCount(raw.cache_read_input_tokens),
    reasoningTokens: 0,
  };
  if (cc && c5 + c1h > 0) {
    u.cacheCreation5mTokens = c5;
    u.cacheCreation1hTokens = c1h;
  }
  return u;
}

export function anthropicUsageOut(u: Usage | undefined): Record<string, number> {
  return {
    input_tokens: u?.inputTokens ?? 0,
    cache_creation_input_tokens: u?.cacheCreationTokens ?? 0,
    cache_read_input_tokens: u?.cacheReadTokens ?? 0,
    output_tokens: u?.outputTokens ?? 0,
  };
}

/** A message id for the client: the provider's when it has one of the right shape, else one from the request id. */
export function anthropicMessageId(providerId: string | undefined, requestId: string): string {
  return providerId?.startsWith('msg_') ? providerId : `msg_${sanitizeId(providerId ?? requestId)}`;
}

/** Anthropic Messages response body → IR. */
export function parseAnthropicResponse(body: unknown): IrResponse {
  const b = isRecord(body) ? body : {};
  const content: IrResponse['content'] = [];
  for (const c of records(b.content)) {
    if (c.type === 'text') content.push({ type: 'text', text: str(c.text) ?? '' });
    else if (c.type === 'thinking') {
      const sig = str(c.signature);
      content.push({ type: 'thinking', text: str(c.thinking) ?? '', ...(sig ? { signature: { origin: 'anthropic-messages', value: sig } } : {}) });
    } else if (c.type === 'redacted_thinking' && typeof c.data === 'string') {
      content.push({ type: 'thinking', text: '', signature: { origin: 'anthropic-messages', value: c.data, redacted: true } });
    } else if (c.type === 'tool_use') {
      content.push({ type: 'tool_call', id: str(c.id) ?? '', name: str(c.name) ?? '', input: isRecord(c.input) ? c.input : {} });
    }
    // Server-tool blocks (web search …) have no counterpart in other formats; their text answer follows as text.
  }
  const ir: IrResponse = { content, stopReason: anthropicStopIn(b.stop_reason) };
  if (typeof b.id === 'string') ir.id = b.id;
  if (typeof b.model === 'string') ir.model = b.model;
  if (typeof b.stop_sequence === 'string') ir.stopSequence = b.stop_sequence;
  const usage = anthropicUsageIn(b.usage);
  if (usage) ir.usage = usage;
  return ir;
}

/** IR → Anthropic Messages response body. */
export function renderAnthropicResponse(ir: IrResponse, ctx: ResponseContext): Record<string, unknown> {
  const content = ir.content.map((p) => {
    switch (p.type) {
      case 'text':
        return { type: 'text', text: p.text };
      case 'thinking':
        return { type: 'thinking', thinking: p.text, signature: p.signature ? encodeSignature(p.signature) : '' };
      case 'tool_call':
        return { type: 'tool_use', id: sanitizeId(p.id), name: p.name, input: p.input };
    }
  });
  return {
    id: anthropicMessageId(ir.id, ctx.requestId),
    type: 'message',
    role: 'assistant',
    model: ctx.model ?? ir.model ?? '',
    content,
    stop_reason: anthropicStopOut(ir.stopReason),
    stop_sequence: ir.stopSequence ?? null,
    usage: anthropicUsageOut(ir.usage),
  };
}
