import { expect } from 'chai';
import { RequestLogEntity } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import type { LogRow } from '../src/row.ts';
import { eventually } from './helpers.ts';

/** A complete row, as `toRow` builds them, with the values that are awkward inside a PostgreSQL array literal. */
const fullRow = (id: string, over: Partial<LogRow> = {}): LogRow => ({
  requestId: id,
  createdAt: new Date('2026-11-26T10:00:00.123Z'),
  userId: null,
  keyId: 7,
  providerId: null,
  providerName: 'a "quoted", {braced} \\ name',
  attemptCount: 2,
  clientFormat: 'anthropic-messages',
  providerFormat: null,
  operation: 'generate',
  model: 'NULL',
  servedModel: '',
  status: 529,
  outcome: 'failed',
  errorClass: 'upstream',
  errorMessage: 'line one\nline "two"\t\\ ünïcödé 🚀 , } {',
  inputTokens: 2_000_000_000,
  outputTokens: 0,
  cacheCreationTokens: 1,
  cacheCreation5mTokens: 1,
  cacheCreation1hTokens: 0,
  cacheReadTokens: 3,
  reasoningTokens: 4,
  costUsd: '1234567.0123456789',
  ttfbMs: null,
  durationMs: 99,
  stream: true,
  sessionId: 'sess,1',
  userAgent: null,
  decision: { attempts: [{ provider: 'x', status: 529, note: 'quote " and backslash \\' }], steps: ['a,b', '{c}'] },
  ...over,
});

describe('accounting: the batch writer', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    mock = await createMockUpstream();
    hub = await createTestGateway({
      yaml: `
plugins:
  - name: auth
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:
  - { name: mock, type: claude, url: ${mock.url}, key: sk-ant-x }
`,
    });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });

  const read = (id: string) => hub.gw.db.em().fork().findOne(RequestLogEntity, { requestId: id });

  it('writes every value of a batch as given: quotes, braces, backslashes, newlines, NULL-looking text, nulls, large numbers, JSON', async () => {
    const log = hub.gw.services.requestLog!;
    const ids = Array.from({ length: 25 }, (_, i) => `writer-${Date.now()}-${i}`);
    for (const [i, id] of ids.entries()) log.add(fullRow(id, { durationMs: i, ...(i === 1 ? { decision: null } : {}) }));
    await eventually(async () => (await read(ids.at(-1)!)) !== null, 'last row written');
    const row = await read(ids[0]!);
    expect(row).to.include({
      keyId: 7,
      userId: null,
      providerName: 'a "quoted", {braced} \\ name',
      model: 'NULL',
      servedModel: '',
      status: 529,
      errorMessage: 'line one\nline "two"\t\\ ünïcödé 🚀 , } {',
      inputTokens: 2_000_000_000,
      ttfbMs: null,
      stream: true,
      sessionId: 'sess,1',
      userAgent: null,
      durationMs: 0,
    });
    expect(Number(row!.costUsd)).to.equal(1234567.0123456789);
    expect(row!.createdAt.toISOString()).to.equal('2026-11-26T10:00:00.123Z');
    expect(row!.decision).to.deep.equal({ attempts: [{ provider: 'x', status: 529, note: 'quote " and backslash \\' }], steps: ['a,b', '{c}'] });
    expect((await read(ids[1]!))!.decision).to.equal(null); // SQL NULL, not JSON null
    const nulls = await hub.gw.db.em().fork().getConnection().execute(`select count(*)::int as n from cch_request_log where request_id = ? and decision is null`, [ids[1]]);
    expect(nulls[0]!.n).to.equal(1);
    const count = await hub.gw.db.em().fork().count(RequestLogEntity, { requestId: { $in: ids } });
    expect(count).to.equal(25);
  });

  it('writes a row twice only once, and a batch mixing complete rows with one that lacks fields (an older spool line)', async () => {
    const log = hub.gw.services.requestLog!;
    const id = `writer-dup-${Date.now()}`;
    log.add(fullRow(id, { durationMs: 1 }));
    await eventually(async () => (await read(id)) !== null, 'row written');
    const partial = { requestId: `${id}-old`, createdAt: new Date(), clientFormat: 'anthropic-messages', operation: 'generate', status: 200, outcome: 'completed', durationMs: 5 } as LogRow;
    log.add(fullRow(id, { durationMs: 2 })); // a retry of a batch that did land
    log.add(partial);
    await eventually(async () => (await read(`${id}-old`)) !== null, 'partial row written');
    expect((await read(id))!.durationMs).to.equal(1);
    const old = await read(`${id}-old`);
    expect(old).to.include({ inputTokens: 0, attemptCount: 0, stream: false, sessionId: null });
  });
});
