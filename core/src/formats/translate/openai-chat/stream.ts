/** OpenAI Chat Completions SSE ↔ IR stream events. */
import { renderStreamError } from '../../errors.ts';
import type { SseEvent } from '../../sse.ts';
import type { ResponseContext, StreamDecoder, StreamEncoder, StreamEncoderOptions } from '../codec.ts';
import { parseProviderError } from '../errors.ts';
import type { IrStreamEvent, Usage } from '../ir.ts';
import { isRecord, nonceOf, nowSeconds, records, sanitizeId, str } from '../shared.ts';
import { sse } from '../stream-core.ts';
import { chatCompletionId, chatFinishIn, chatFinishOut, chatUsageIn, chatUsageOut } from './response.ts';

/** Chat chunks → IR. A tool call starts when its `index` (or `id`) changes. */
export function createChatDecoder(ctx: ResponseContext): StreamDecoder {
  let started = false;
  let toolIndex: number | undefined;
  let toolId: string | undefined;
  let calls = 0;
  return {
    push(e: SseEvent): IrStreamEvent[] {
      if (e.data.trim() === '[DONE]') return [{ type: 'end' }];
      let j: Record<string, unknown>;
      try {
        const v: unknown = JSON.parse(e.data);
        if (!isRecord(v)) return [];
        j = v;
      } catch {
        return [];
      }
      if (j.error !== undefined) {
        const { kind, message } = parseProviderError('openai-chat', 500, j);
        return [{ type: 'error', kind, message }];
      }
      const out: IrStreamEvent[] = [];
      if (!started) {
        started = true;
        out.push({ type: 'start', ...(typeof j.id === 'string' ? { id: j.id } : {}), ...(typeof j.model === 'string' ? { model: j.model } : {}) });
      }
      const choice = records(j.choices)[0];
      const delta = choice && isRecord(choice.delta) ? choice.delta : {};
      const reasoning = str(delta.reasoning_content) ?? str(delta.reasoning);
      if (reasoning) out.push({ type: 'thinking_delta', text: reasoning });
      if (typeof delta.content === 'string') out.push({ type: 'text_delta', text: delta.content });
      for (const tc of records(delta.tool_calls)) {
        const fn = isRecord(tc.function) ? tc.function : {};
        const index = typeof tc.index === 'number' ? tc.index : 0;
        const id = str(tc.id);
        if (index !== toolIndex || (id !== undefined && id !== toolId)) {
          toolIndex = index;
          toolId = id ?? `call_${nonceOf(ctx.requestId)}_${calls}`;
          calls++;
          out.push({ type: 'block_start', block: { type: 'tool_call', id: toolId, name: str(fn.name) ?? '' } });
        }
        if (typeof fn.arguments === 'string') out.push({ type: 'args_delta', json: fn.arguments });
      }
      if (choice?.finish_reason != null) out.push({ type: 'finish', stopReason: chatFinishIn(choice.finish_reason) });
      const usage = chatUsageIn(j.usage);
      if (usage) out.push({ type: 'usage', usage });
      return out;
    },
    end: () => [],
  };
}

/** IR → Chat chunks, ending with a usage chunk and `[DONE]`. */
export function createChatEncoder(opts: StreamEncoderOptions): StreamEncoder {
  let id = chatCompletionId(undefined, opts.requestId);
  let model = opts.model ?? '';
  const created = nowSeconds();
  let toolIndex = -1;
  let usage: Usage | undefined;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    sse({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  return {
    push(e: IrStreamEvent): string {
      switch (e.type) {
        case 'start':
          id = chatCompletionId(e.id, opts.requestId);
          model = opts.model ?? e.model ?? '';
          return chunk({ role: 'assistant', content: '' });
        case 'block_start':
          if (e.block.type !== 'tool_call') return '';
          toolIndex++;
          return chunk({ tool_calls: [{ index: toolIndex, id: sanitizeId(e.block.id), type: 'function', function: { name: e.block.name, arguments: '' } }] });
        case 'text_delta':
          return chunk({ content: e.text });
        case 'thinking_delta':
          return chunk({ reasoning_content: e.text });
        case 'args_delta':
          return chunk({ tool_calls: [{ index: toolIndex, function: { arguments: e.json } }] });
        case 'usage':
          usage = e.usage;
          return '';
        case 'finish':
          return chunk({}, chatFinishOut(e.stopReason));
        case 'end': {
          const tail = opts.includeUsage === false ? '' : sse({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: chatUsageOut(usage) });
          return `${tail}data: [DONE]\n\n`;
        }
        case 'error':
          return renderStreamError('openai-chat', e.kind, e.message);
        default:
          return ''; // signatures and block stops have no chat counterpart
      }
    },
  };
}
