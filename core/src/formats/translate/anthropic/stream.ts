/** Anthropic Messages SSE ↔ IR stream events. */
import { renderStreamError } from '../../errors.ts';
import type { SseEvent } from '../../sse.ts';
import type { StreamDecoder, StreamEncoder, StreamEncoderOptions } from '../codec.ts';
import { parseProviderError } from '../errors.ts';
import type { IrStopReason, IrStreamEvent, Usage } from '../ir.ts';
import { encodeSignature, isRecord, sanitizeId, str } from '../shared.ts';
import { sse } from '../stream-core.ts';
import { anthropicMessageId, anthropicStopIn, anthropicStopOut, anthropicUsageIn, anthropicUsageOut } from './response.ts';

/** Anthropic SSE → IR. Blocks of kinds other formats lack (server tools) are skipped whole. */
export function createAnthropicDecoder(): StreamDecoder {
  const skipped = new Set<number>();
  return {
    push(e: SseEvent): IrStreamEvent[] {
      let j: Record<string, unknown>;
      try {
        const v: unknown = JSON.parse(e.data);
        if (!isRecord(v)) return [];
        j = v;
      } catch {
        return [];
      }
      const index = typeof j.index === 'number' ? j.index : -1;
      switch (j.type ?? e.event) {
        case 'message_start': {
          const m = isRecord(j.message) ? j.message : {};
          const usage = anthropicUsageIn(m.usage);
          return [{ type: 'start', ...(typeof m.id === 'string' ? { id: m.id } : {}), ...(typeof m.model === 'string' ? { model: m.model } : {}), ...(usage ? { usage } : {}) }];
        }
        case 'content_block_start': {
          const b = isRecord(j.content_block) ? j.content_block : {};
          if (b.type === 'tool_use') return [{ type: 'block_start', block: { type: 'tool_call', id: str(b.id) ?? '', name: str(b.name) ?? '' } }];
          if (b.type === 'text') return [{ type: 'block_start', block: { type: 'text' } }, { type: 'text_delta', text: str(b.text) ?? '' }];
          if (b.type === 'thinking') return [{ type: 'block_start', block: { type: 'thinking' } }, { type: 'thinking_delta', text: str(b.thinking) ?? '' }];
          if (b.type === 'redacted_thinking' && typeof b.data === 'string') {
            return [{ type: 'signature', signature: { origin: 'anthropic-messages', value: b.data, redacted: true } }];
          }
          skipped.add(index);
          return [];
        }
        case 'content_block_delta': {
          if (skipped.has(index)) return [];
          const d = isRecord(j.delta) ? j.delta : {};
          if (d.type === 'text_delta') return [{ type: 'text_delta', text: str(d.text) ?? '' }];
          if (d.type === 'thinking_delta') return [{ type: 'thinking_delta', text: str(d.thinking) ?? '' }];
          if (d.type === 'signature_delta' && typeof d.signature === 'string') return [{ type: 'signature', signature: { origin: 'anthropic-messages', value: d.signature } }];
          if (d.type === 'input_json_delta') return [{ type: 'args_delta', json: str(d.partial_json) ?? '' }];
          return [];
        }
        case 'content_block_stop':
          return skipped.has(index) ? [] : [{ type: 'block_stop' }];
        case 'message_delta': {
          const out: IrStreamEvent[] = [];
          const usage = anthropicUsageIn(j.usage);
          if (usage) out.push({ type: 'usage', usage });
          const d = isRecord(j.delta) ? j.delta : {};
          if (d.stop_reason != null) out.push({ type: 'finish', stopReason: anthropicStopIn(d.stop_reason), ...(typeof d.stop_sequence === 'string' ? { stopSequence: d.stop_sequence } : {}) });
          return out;
        }
        case 'message_stop':
          return [{ type: 'end' }];
        case 'error': {
          const { kind, message } = parseProviderError('anthropic-messages', 500, j);
          return [{ type: 'error', kind, message }];
        }
        default:
          return []; // ping
      }
    },
    end: () => [],
  };
}

/** IR → Anthropic SSE, event for event. */
export function createAnthropicEncoder(opts: StreamEncoderOptions): StreamEncoder {
  let index = -1;
  let usage: Usage | undefined;
  let stop: IrStopReason = 'end_turn';
  let stopSequence: string | null = null;
  const ev = (type: string, data: Record<string, unknown>) => sse({ type, ...data }, type);
  return {
    push(e: IrStreamEvent): string {
      switch (e.type) {
        case 'start': {
          usage = e.usage;
          const message = {
            id: anthropicMessageId(e.id, opts.requestId),
            type: 'message',
            role: 'assistant',
            model: opts.model ?? e.model ?? '',
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: anthropicUsageOut(usage),
          };
          return ev('message_start', { message });
        }
        case 'block_start': {
          index++;
          const b = e.block;
          const content_block =
            b.type === 'text'
              ? { type: 'text', text: '' }
              : b.type === 'thinking'
                ? { type: 'thinking', thinking: '', signature: '' }
                : { type: 'tool_use', id: sanitizeId(b.id), name: b.name, input: {} };
          return ev('content_block_start', { index, content_block });
        }
        case 'text_delta':
          return ev('content_block_delta', { index, delta: { type: 'text_delta', text: e.text } });
        case 'thinking_delta':
          return ev('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: e.text } });
        case 'signature':
          return ev('content_block_delta', { index, delta: { type: 'signature_delta', signature: encodeSignature(e.signature) } });
        case 'args_delta':
          return ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: e.json } });
        case 'block_stop':
          return ev('content_block_stop', { index });
        case 'usage':
          usage = e.usage;
          return '';
        case 'finish':
          stop = e.stopReason;
          stopSequence = e.stopSequence ?? null;
          return '';
        case 'end':
          return (
            ev('message_delta', { delta: { stop_reason: anthropicStopOut(stop), stop_sequence: stopSequence }, usage: anthropicUsageOut(usage) }) +
            ev('message_stop', {})
          );
        case 'error':
          return renderStreamError('anthropic-messages', e.kind, e.message);
      }
    },
  };
}
