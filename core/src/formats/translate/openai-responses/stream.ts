/** OpenAI Responses API SSE ↔ IR stream events. */
import type { SseEvent } from '../../sse.ts';
import type { StreamDecoder, StreamEncoder, StreamEncoderOptions } from '../codec.ts';
import { parseProviderError } from '../errors.ts';
import type { IrSignature, IrStopReason, IrStreamEvent, Usage } from '../ir.ts';
import { encodeSignature, isRecord, nowSeconds, sanitizeId, str } from '../shared.ts';
import { sse } from '../stream-core.ts';
import { itemId, responseEnvelope, responseId, responsesStatusOut, responsesStopIn, responsesUsageIn, responsesUsageOut } from './response.ts';

/** Responses events → IR. Items other formats lack (hosted tool calls) are skipped whole. */
export function createResponsesDecoder(): StreamDecoder {
  const skipped = new Set<number>();
  let argsSeen = false;
  const terminal = (r: Record<string, unknown>): IrStreamEvent[] => {
    const out: IrStreamEvent[] = [];
    const usage = responsesUsageIn(r.usage);
    if (usage) out.push({ type: 'usage', usage });
    const stopReason = responsesStopIn(r);
    if (stopReason === 'error') {
      const { kind, message } = parseProviderError('openai-responses', 500, { error: r.error });
      return [...out, { type: 'error', kind, message }];
    }
    return [...out, { type: 'finish', stopReason }, { type: 'end' }];
  };
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
      const oi = typeof j.output_index === 'number' ? j.output_index : -1;
      if (skipped.has(oi)) return [];
      const item = isRecord(j.item) ? j.item : {};
      switch (j.type ?? e.event) {
        case 'response.created': {
          const r = isRecord(j.response) ? j.response : {};
          return [{ type: 'start', ...(typeof r.id === 'string' ? { id: r.id } : {}), ...(typeof r.model === 'string' ? { model: r.model } : {}) }];
        }
        case 'response.output_item.added':
          if (item.type === 'reasoning') return [{ type: 'block_start', block: { type: 'thinking' } }];
          if (item.type === 'function_call') {
            argsSeen = false;
            return [{ type: 'block_start', block: { type: 'tool_call', id: str(item.call_id) ?? '', name: str(item.name) ?? '' } }];
          }
          if (item.type !== 'message') skipped.add(oi);
          return [];
        case 'response.content_part.added':
          return [{ type: 'block_start', block: { type: 'text' } }];
        case 'response.output_text.delta':
        case 'response.refusal.delta':
          return [{ type: 'text_delta', text: str(j.delta) ?? '' }];
        case 'response.content_part.done':
          return [{ type: 'block_stop' }];
        case 'response.reasoning_summary_part.added':
          return typeof j.summary_index === 'number' && j.summary_index > 0 ? [{ type: 'thinking_delta', text: '\n\n' }] : [];
        case 'response.reasoning_summary_text.delta':
        case 'response.reasoning_text.delta':
          return [{ type: 'thinking_delta', text: str(j.delta) ?? '' }];
        case 'response.function_call_arguments.delta':
          argsSeen = true;
          return [{ type: 'args_delta', json: str(j.delta) ?? '' }];
        case 'response.output_item.done': {
          const out: IrStreamEvent[] = [];
          if (item.type === 'reasoning' && typeof item.encrypted_content === 'string') {
            out.push({ type: 'signature', signature: { origin: 'openai-responses', value: item.encrypted_content } });
          }
          if (item.type === 'function_call' && !argsSeen && typeof item.arguments === 'string') out.push({ type: 'args_delta', json: item.arguments });
          out.push({ type: 'block_stop' });
          return out;
        }
        case 'response.completed':
        case 'response.incomplete':
        case 'response.failed':
          return terminal(isRecord(j.response) ? j.response : {});
        case 'error': {
          const { kind, message } = parseProviderError('openai-responses', 500, j);
          return [{ type: 'error', kind, message }];
        }
        default:
          return [];
      }
    },
    end: () => [],
  };
}

interface OpenItem {
  item: Record<string, unknown>;
  index: number;
  text: string;
  summaryOpen: boolean;
  signature?: IrSignature;
}

/** IR → Responses events with `sequence_number`, ending with `response.completed` (or incomplete/failed). */
export function createResponsesEncoder(opts: StreamEncoderOptions): StreamEncoder {
  let seq = 0;
  let id = responseId(undefined, opts.requestId);
  let model = opts.model ?? '';
  const createdAt = nowSeconds();
  const output: Record<string, unknown>[] = [];
  let cur: OpenItem | undefined;
  let usage: Usage | undefined;
  let stop: IrStopReason = 'end_turn';
  const ev = (type: string, data: Record<string, unknown>) => sse({ type, sequence_number: seq++, ...data }, type);
  const envelope = (status: string, extra: Record<string, unknown> = {}) => responseEnvelope(id, model, createdAt, status, output, extra);
  const at = () => ({ item_id: cur!.item.id, output_index: cur!.index });

  const open = (item: Record<string, unknown>): string => {
    cur = { item, index: output.length, text: '', summaryOpen: false };
    return ev('response.output_item.added', { output_index: cur.index, item });
  };
  const close = (): string => {
    if (!cur) return '';
    const c = cur;
    let s = '';
    let done: Record<string, unknown>;
    if (c.item.type === 'message') {
      const part = { type: 'output_text', annotations: [], logprobs: [], text: c.text };
      s += ev('response.output_text.done', { ...at(), content_index: 0, text: c.text, logprobs: [] });
      s += ev('response.content_part.done', { ...at(), content_index: 0, part });
      done = { ...c.item, status: 'completed', content: [part] };
    } else if (c.item.type === 'reasoning') {
      if (c.summaryOpen) {
        s += ev('response.reasoning_summary_text.done', { ...at(), summary_index: 0, text: c.text });
        s += ev('response.reasoning_summary_part.done', { ...at(), summary_index: 0, part: { type: 'summary_text', text: c.text } });
      }
      done = { ...c.item, summary: c.text ? [{ type: 'summary_text', text: c.text }] : [], ...(c.signature ? { encrypted_content: encodeSignature(c.signature) } : {}) };
    } else {
      s += ev('response.function_call_arguments.done', { ...at(), name: c.item.name, arguments: c.text });
      done = { ...c.item, status: 'completed', arguments: c.text };
    }
    output.push(done);
    s += ev('response.output_item.done', { output_index: c.index, item: done });
    cur = undefined;
    return s;
  };

  return {
    push(e: IrStreamEvent): string {
      switch (e.type) {
        case 'start': {
          id = responseId(e.id, opts.requestId);
          model = opts.model ?? e.model ?? '';
          return ev('response.created', { response: envelope('in_progress') }) + ev('response.in_progress', { response: envelope('in_progress') });
        }
        case 'block_start': {
          const n = output.length;
          const b = e.block;
          if (b.type === 'text') {
            const s = open({ id: itemId('msg', opts.requestId, n), type: 'message', status: 'in_progress', role: 'assistant', content: [] });
            return s + ev('response.content_part.added', { ...at(), content_index: 0, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
          }
          if (b.type === 'thinking') return open({ id: itemId('rs', opts.requestId, n), type: 'reasoning', summary: [] });
          return open({ id: itemId('fc', opts.requestId, n), type: 'function_call', status: 'in_progress', call_id: sanitizeId(b.id), name: b.name, arguments: '' });
        }
        case 'text_delta':
          cur!.text += e.text;
          return ev('response.output_text.delta', { ...at(), content_index: 0, delta: e.text, logprobs: [] });
        case 'thinking_delta': {
          let s = '';
          if (!cur!.summaryOpen) {
            cur!.summaryOpen = true;
            s += ev('response.reasoning_summary_part.added', { ...at(), summary_index: 0, part: { type: 'summary_text', text: '' } });
          }
          cur!.text += e.text;
          return s + ev('response.reasoning_summary_text.delta', { ...at(), summary_index: 0, delta: e.text });
        }
        case 'signature':
          cur!.signature = e.signature;
          return '';
        case 'args_delta':
          cur!.text += e.json;
          return ev('response.function_call_arguments.delta', { ...at(), delta: e.json });
        case 'block_stop':
          return close();
        case 'usage':
          usage = e.usage;
          return '';
        case 'finish':
          stop = e.stopReason;
          return '';
        case 'end': {
          const { status, incomplete_details } = responsesStatusOut(stop);
          const type = status === 'completed' ? 'response.completed' : 'response.incomplete';
          return ev(type, { response: envelope(status, { incomplete_details, usage: responsesUsageOut(usage) }) });
        }
        case 'error':
          return close() + ev('response.failed', { response: envelope('failed', { error: { code: e.kind === 'rate_limit' ? 'rate_limit_exceeded' : 'server_error', message: e.message }, usage: responsesUsageOut(usage) }) });
      }
    },
  };
}
