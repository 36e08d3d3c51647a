/** Stream plumbing shared by all formats: the IR event normaliser and SSE framing. */
import type { Usage } from '../../usage.ts';
import type { IrBlock, IrStopReason, IrStreamEvent } from './ir.ts';
import { mergeUsage } from './shared.ts';

/** Frame one SSE event; objects are JSON-encoded. */
export function sse(data: unknown, event?: string): string {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  return event === undefined ? `data: ${payload}\n\n` : `event: ${event}\ndata: ${payload}\n\n`;
}

/** What the normaliser has seen so far. */
export interface StreamState {
  usage: Usage | undefined;
  model: string | undefined;
  stopReason: IrStopReason | undefined;
  error: string | undefined;
  ended: boolean;
}

/**
 * Puts decoder output into the order every encoder relies on: `start` first; one block open at a
 * time (a delta for another kind of block closes the open one and opens its own); empty deltas
 * skipped; `finish` before `end`; nothing after `end` or `error`. Usage reports are merged, so
 * each `usage` event carries the running total.
 */
export function createNormalizer() {
  const state: StreamState = { usage: undefined, model: undefined, stopReason: undefined, error: undefined, ended: false };
  let started = false;
  let open: IrBlock['type'] | undefined;
  let finished = false;

  const push = (e: IrStreamEvent): IrStreamEvent[] => {
    if (state.ended) return [];
    const out: IrStreamEvent[] = [];
    const start = () => {
      if (started) return;
      started = true;
      out.push({ type: 'start' });
    };
    const close = () => {
      if (open === undefined) return;
      open = undefined;
      out.push({ type: 'block_stop' });
    };
    const ensure = (kind: 'text' | 'thinking') => {
      start();
      if (open === kind) return;
      close();
      open = kind;
      out.push({ type: 'block_start', block: { type: kind } });
    };
    switch (e.type) {
      case 'start':
        if (started) break;
        started = true;
        state.model = e.model;
        if (e.usage) state.usage = mergeUsage(state.usage, e.usage);
        out.push(e);
        break;
      case 'block_start':
        start();
        close();
        open = e.block.type;
        out.push(e);
        break;
      case 'text_delta':
      case 'thinking_delta':
        if (e.text === '') break;
        ensure(e.type === 'text_delta' ? 'text' : 'thinking');
        out.push(e);
        break;
      case 'signature':
        ensure('thinking');
        out.push(e);
        break;
      case 'args_delta':
        if (open === 'tool_call' && e.json !== '') out.push(e);
        break;
      case 'block_stop':
        close();
        break;
      case 'usage':
        state.usage = mergeUsage(state.usage, e.usage);
        out.push({ type: 'usage', usage: state.usage! });
        break;
      case 'finish':
        if (finished) break;
        start();
        close();
        finished = true;
        state.stopReason = e.stopReason;
        out.push(e);
        break;
      case 'end':
        start();
        close();
        if (!finished) {
          finished = true;
          state.stopReason = 'end_turn';
          out.push({ type: 'finish', stopReason: 'end_turn' });
        }
        state.ended = true;
        out.push(e);
        break;
      case 'error':
        state.ended = true;
        state.error = e.message;
        out.push(e);
        break;
    }
    return out;
  };
  return { push, state, started: () => started, finished: () => finished };
}
