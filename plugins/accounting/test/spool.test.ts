import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { RequestLogEntity } from '@cch/core';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { eventually, waitForRow } from './helpers.ts';

const KEY = 'hub_sk_SpoolTestKey00000000000000000000000001';

/** A pid no process has (above the usual pid_max), so its spool counts as left behind. */
const DEAD_PID = 2_000_000_000;

const row = (id: string, minutesAgo = 1) => ({
  requestId: id,
  createdAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
  clientFormat: 'anthropic-messages',
  operation: 'generate',
  model: 'claude-sonnet-4-5',
  status: 200,
  outcome: 'completed',
  inputTokens: 3,
  costUsd: '0.000009',
  durationMs: 12,
  stream: false,
  decision: { attempts: [], steps: [] },
});

describe('accounting: spool replay at start', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let first: TestGateway;
  let dataDir: string;
  const yaml = (upstream: string) => `
plugins:
  - name: auth
  - name: provider-claude
  - name: accounting
    options: { flushIntervalMs: 20 }
providers:
  - { name: mock, type: claude, url: ${upstream}, key: sk-ant-x }
users:
  - name: fay
    keys: [{ name: k, key: ${KEY} }]
`;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cch-spool-'));
    mock = await createMockUpstream();
    first = await createTestGateway({ yaml: yaml(mock.url), env: { CCH_DATA_DIR: dataDir } });
  });
  after(async () => {
    await first?.close();
    await mock?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('replays segments left by a dead process in order, skips rows already written and torn lines, and leaves a live sibling alone', async () => {
    // A row that reached the database before the crash, yet is also in the spool.
    const res = await fetch(`${first.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const landed = res.headers.get('x-cch-request-id')!;
    await waitForRow(first, landed);

    const spoolDir = path.join(dataDir, 'spool');
    fs.mkdirSync(spoolDir, { recursive: true });
    const lines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
    // Older segment (written first) and a newer one ending in a line torn by the crash.
    fs.writeFileSync(path.join(spoolDir, `request-log-${DEAD_PID}-1000-000000.ndjson`), lines([row('s-1', 3), row('s-2', 3), { ...row(landed), requestId: landed }]));
    fs.writeFileSync(path.join(spoolDir, `request-log-${DEAD_PID}-2000-000000.ndjson`), lines([row('s-3', 2), row('s-2', 3)]) + '{"requestId":"s-tor');
    // A segment of a process that is alive (our parent): not ours to replay.
    const sibling = path.join(spoolDir, `request-log-${process.ppid}-1500-000000.ndjson`);
    fs.writeFileSync(sibling, lines([row('sibling-1')]));

    const second = await createTestGateway({ yaml: yaml(mock.url), env: { CCH_DATA_DIR: dataDir }, shareWith: first });
    try {
      const em = () => second.gw.db.em();
      await eventually(async () => (await em().count(RequestLogEntity, { requestId: { $in: ['s-1', 's-2', 's-3'] } })) === 3, 'spooled rows in the database');
      const rows = await em().find(RequestLogEntity, { requestId: { $like: 's-%' } }, { orderBy: { id: 'asc' } });
      expect(rows.map((r) => r.requestId)).to.deep.equal(['s-1', 's-2', 's-3']);
      expect(rows[0]).to.include({ model: 'claude-sonnet-4-5', inputTokens: 3, costUsd: '0.0000090000', durationMs: 12 });
      expect(rows[0]!.createdAt.getTime()).to.be.below(Date.now() - 2 * 60_000);
      expect(await em().count(RequestLogEntity, { requestId: landed })).to.equal(1);
      await eventually(() => second.gw.services.requestLog!.stats().spooledRows === 0, 'spool drained');
      expect(fs.readdirSync(spoolDir)).to.deep.equal([path.basename(sibling)]);
      expect(await em().count(RequestLogEntity, { requestId: 'sibling-1' })).to.equal(0);
    } finally {
      await second.close();
    }
  });
});
