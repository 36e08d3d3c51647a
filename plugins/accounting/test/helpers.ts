import { Writable } from 'node:stream';
import { createLogger, RequestLogEntity, type Logger, type RequestLogRow, type SettledExchange, type Usage } from '@cch/core';
import type { TestGateway } from '@cch/core/testing';

/** The request-log row of a request, once flushed. */
export async function waitForRow(t: TestGateway, requestId: string): Promise<RequestLogRow> {
  for (let i = 0; i < 200; i++) {
    const row = await t.gw.db.em().findOne(RequestLogEntity, { requestId });
    if (row) return row;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no request-log row for ${requestId}`);
}

/** Poll until `fn` returns a truthy value. */
export async function eventually<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** A logger whose JSON lines are kept for assertions. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

export function usage(u: Partial<Usage>): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, reasoningTokens: 0, ...u };
}

/** A settled exchange as the core hands it to settle hooks, with what a test cares about. */
export function settled(p: Partial<SettledExchange> & { providerName?: string; costMultiplier?: number }): SettledExchange {
  const { providerName, costMultiplier, ...rest } = p;
  return {
    id: `req-${Math.random().toString(36).slice(2)}`,
    startedAt: new Date(),
    t0: 0,
    endpoint: { operation: 'generate' } as SettledExchange['endpoint'],
    clientFormat: 'anthropic-messages',
    headers: {},
    query: '',
    userAgent: 'test',
    raw: Buffer.alloc(0),
    body: undefined,
    model: undefined,
    stream: false,
    attempts: [],
    decision: [],
    state: {},
    status: 200,
    outcome: 'completed',
    durationMs: 10,
    provider: providerName ? ({ id: 1, name: providerName, costMultiplier: costMultiplier ?? 1 } as SettledExchange['provider']) : undefined,
    ...rest,
  };
}
