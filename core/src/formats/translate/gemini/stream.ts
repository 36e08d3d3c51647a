/** Gemini streamGenerateContent (`alt=sse`) ↔ IR stream events. */
import { renderError } from '../../errors.ts';
import type { SseEvent } from '../../sse.ts';
import type { ResponseContext, StreamDecoder, StreamEncoder, StreamEncoderOptions } from '../codec.ts';
import { parseProviderError, statusForKind } from '../errors.ts';
import type { IrSignature, IrStopReason, IrStreamEvent, Usage } from '../ir.ts';
import { encodeSignature, isRecord, parseArgs, pick, records, sanitizeId, str } from '../shared.ts';
import { sse } from '../stream-core.ts';
import { geminiCallId, geminiFinishIn, geminiFinishOut, geminiUsageIn, geminiUsageOut, unwrapCodeAssist } from './response.ts';

/**
 * Gemini chunks → IR. Function calls arrive whole, so each becomes a complete tool block with one
 * argument delta. The stream has no terminal event: its end, after a finish reason, ends the message.
 */
export function createGeminiDecoder(ctx: ResponseContext): StreamDecoder {
  let started = false;
  let finished = false;
  let calls = 0;
  return {
    push(e: SseEvent): IrStreamEvent[] {
      let parsed: unknown;
      try {
        parsed = JSON.parse(e.data);
      } catch {
        return [];
      }
      const raw = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!isRecord(raw)) return [];
      const j = unwrapCodeAssist(raw);
      if (j.error !== undefined) {
        const { kind, message } = parseProviderError('gemini', 500, j);
        return [{ type: 'error', kind, message }];
      }
      const out: IrStreamEvent[] = [];
      const usage = geminiUsageIn(j.usageMetadata);
      if (!started) {
        started = true;
        // Every chunk counts the prompt, so the start can already say how big it was.
        out.push({
          type: 'start',
          ...(typeof j.responseId === 'string' ? { id: j.responseId } : {}),
          ...(typeof j.modelVersion === 'string' ? { model: j.modelVersion } : {}),
          ...(usage ? { usage: { ...usage, outputTokens: 0, reasoningTokens: 0 } } : {}),
        });
      }
      const cand = records(j.candidates)[0];
      for (const p of records(cand && isRecord(cand.content) ? cand.content.parts : undefined)) {
        const sig = str(pick(p, 'thoughtSignature', 'thought_signature'));
        const fc = pick(p, 'functionCall', 'function_call');
        if (typeof p.text === 'string' && p.thought === true) {
          out.push({ type: 'thinking_delta', text: p.text });
          if (sig) out.push({ type: 'signature', signature: { origin: 'gemini', value: sig } });
        } else if (typeof p.text === 'string') {
          // A signature on plain text is not validated on replay; it is left out.
          out.push({ type: 'text_delta', text: p.text });
        } else if (isRecord(fc)) {
          if (sig) out.push({ type: 'signature', signature: { origin: 'gemini', value: sig, next: true } });
          out.push({ type: 'block_start', block: { type: 'tool_call', id: str(fc.id) ?? geminiCallId(ctx.requestId, calls), name: str(fc.name) ?? '' } });
          out.push({ type: 'args_delta', json: JSON.stringify(isRecord(fc.args) ? fc.args : {}) });
          out.push({ type: 'block_stop' });
          calls++;
        }
      }
      if (usage) out.push({ type: 'usage', usage });
      const feedback = isRecord(j.promptFeedback) ? j.promptFeedback : undefined;
      if (cand?.finishReason !== undefined) out.push({ type: 'finish', stopReason: geminiFinishIn(cand.finishReason, calls > 0) });
      else if (feedback?.blockReason !== undefined) out.push({ type: 'finish', stopReason: 'content_filter' });
      if (out.some((x) => x.type === 'finish')) finished = true;
      return out;
    },
    // Without a finish reason the stream was cut short; the translator reports that.
    end: () => (finished ? [{ type: 'end' }] : []),
  };
}

/** IR → Gemini chunks: SSE (`alt=sse`) or, when asked, a streamed JSON array. */
export function createGeminiEncoder(opts: StreamEncoderOptions): StreamEncoder {
  let responseId = sanitizeId(opts.requestId);
  let modelVersion = opts.model ?? '';
  let first = true;
  let tool: { id: string; name: string; args: string } | undefined;
  let nextSig: IrSignature | undefined;
  let usage: Usage | undefined;
  let stop: IrStopReason = 'end_turn';
  const frame = (obj: unknown): string => {
    if (!opts.geminiArray) return sse(obj);
    const s = `${first ? '[' : ',\r\n'}${JSON.stringify(obj)}`;
    first = false;
    return s;
  };
  const chunk = (parts: unknown[], extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => {
    const c = { candidates: [{ content: { role: 'model', parts }, index: 0, ...extra }], ...top, modelVersion, responseId };
    return frame(opts.codeAssist ? { response: c } : c);
  };
  const closeArray = () => (opts.geminiArray ? (first ? '[]' : ']') : '');
  return {
    push(e: IrStreamEvent): string {
      switch (e.type) {
        case 'start':
          if (e.id) responseId = e.id;
          modelVersion = opts.model ?? e.model ?? '';
          return '';
        case 'block_start':
          if (e.block.type === 'tool_call') tool = { id: e.block.id, name: e.block.name, args: '' };
          return '';
        case 'text_delta':
          return chunk([{ text: e.text }]);
        case 'thinking_delta':
          return chunk([{ text: e.text, thought: true }]);
        case 'signature':
          if (e.signature.next) {
            nextSig = e.signature;
            return '';
          }
          return chunk([{ text: '', thought: true, thoughtSignature: encodeSignature(e.signature) }]);
        case 'args_delta':
          if (tool) tool.args += e.json;
          return '';
        case 'block_stop': {
          if (!tool) return '';
          const part = { functionCall: { id: sanitizeId(tool.id), name: tool.name, args: parseArgs(tool.args) }, ...(nextSig ? { thoughtSignature: encodeSignature(nextSig) } : {}) };
          tool = undefined;
          nextSig = undefined;
          return chunk([part]);
        }
        case 'usage':
          usage = e.usage;
          return '';
        case 'finish':
          stop = e.stopReason;
          return '';
        case 'end':
          return chunk([{ text: '' }], { finishReason: geminiFinishOut(stop) }, { usageMetadata: geminiUsageOut(usage) }) + closeArray();
        case 'error':
          return frame(renderError('gemini', statusForKind(e.kind), e.kind, e.message)) + closeArray();
      }
    },
  };
}
