import { Type } from '@sinclair/typebox';
import { definePlugin } from '@cch/core';
import { createLogWriter, toRow, type LogWriter } from './writer.ts';

declare module '@cch/core' {
  interface Services {
    requestLog: LogWriter;
  }
}

const options = Type.Object(
  {
    batchSize: Type.Integer({ minimum: 1, maximum: 5000, default: 200, description: 'Rows per INSERT.' }),
    flushIntervalMs: Type.Integer({ minimum: 10, maximum: 60_000, default: 250, description: 'Longest a row waits in memory before a write is attempted.' }),
    maxQueue: Type.Integer({ minimum: 100, maximum: 1_000_000, default: 100_000, description: 'Rows held in memory while the database is unreachable.' }),
  },
  { additionalProperties: false },
);

/** Writes one request-log row per settled exchange, batched off the hot path. */
export default definePlugin({
  name: 'accounting',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'accounting',
  description: 'Request log with tokens, timings, status and decision chain; batched writes.',
  options,
  setup(ctx) {
    const writer = createLogWriter(ctx.db, ctx.options, ctx.logger);
    ctx.provide('requestLog', writer);
    ctx.onSettle((ex) => writer.add(toRow(ex)));
    ctx.onClose(() => writer.close());
  },
});

export type { LogWriter } from './writer.ts';
