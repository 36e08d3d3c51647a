import path from 'node:path';
import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';
import { createCostStep } from '../src/cost.ts';
import { createPricing } from '@cch/core';
import { toRow } from '../src/row.ts';
import { capturingLogger, eventually, settled, usage, waitForRow } from './helpers.ts';
import { parsePrometheusText, sampleValue } from './prom-text.ts';

describe('accounting: cost of settled exchanges', function () {
  this.timeout(60_000);

  describe('the settle step', () => {
    const pricing = createPricing();

    it('prices the served model, not the requested one, × the provider multiplier', () => {
      const { logger } = capturingLogger();
      const step = createCostStep(pricing, logger);
      // requested sonnet, redirected to haiku-4-5: 1000×$1 + 100×$5 = 1500 µ$ × 2 = 3000 µ$
      const ex = settled({ model: 'claude-sonnet-4-5', servedModel: 'claude-haiku-4-5', usage: usage({ inputTokens: 1000, outputTokens: 100 }), providerName: 'p', costMultiplier: 2 });
      step(ex);
      expect(ex.state.costUsd).to.equal('0.003');
      expect(ex.state.costUnpriced).to.equal(undefined);
      // without a served model the requested one is priced: 1000×$3 + 100×$15 = 4500 µ$
      const ex2 = settled({ model: 'claude-sonnet-4-5', usage: usage({ inputTokens: 1000, outputTokens: 100 }) });
      step(ex2);
      expect(ex2.state.costUsd).to.equal('0.0045');
    });

    it('OpenAI usage: cached tokens at the cached rate', () => {
      const step = createCostStep(pricing, capturingLogger().logger);
      // gpt-4.1: $2 in, $0.50 cached, $8 out: 4000×2 + 6000×0.5 + 500×8 = 8000 + 3000 + 4000 = 15000 µ$
      const ex = settled({ clientFormat: 'openai-chat', model: 'gpt-4.1', usage: usage({ inputTokens: 4000, cacheReadTokens: 6000, outputTokens: 500 }) });
      step(ex);
      expect(ex.state.costUsd).to.equal('0.015');
    });

    it('Gemini usage: cached content at the cache rate, thoughts once', () => {
      const step = createCostStep(pricing, capturingLogger().logger);
      // 2.5-pro ≤200k: $1.25 in, $0.125 cached, $10 out; output 3000 includes 2000 thoughts
      // 20000×1.25 + 80000×0.125 + 3000×10 = 25000 + 10000 + 30000 = 65000 µ$
      const ex = settled({ clientFormat: 'gemini', model: 'gemini-2.5-pro', usage: usage({ inputTokens: 20_000, cacheReadTokens: 80_000, outputTokens: 3000, reasoningTokens: 2000 }) });
      step(ex);
      expect(ex.state.costUsd).to.equal('0.065');
    });

    it('an unknown model is $0, marked unpriced in the row, and warned about once', () => {
      const { logger, lines } = capturingLogger();
      const step = createCostStep(pricing, logger);
      const make = () => settled({ model: 'mystery-model', usage: usage({ inputTokens: 10, outputTokens: 1 }), attempts: [] });
      const a = make();
      const b = make();
      step(a);
      step(b);
      expect(a.state).to.include({ costUsd: '0', costUnpriced: true });
      expect(toRow(a).decision).to.deep.equal({ attempts: [], steps: [], unpriced: true });
      expect(toRow(a).costUsd).to.equal('0');
      expect(lines.filter((l) => l.model === 'mystery-model' && l.level === 40)).to.have.length(1);
    });

    it('no tokens: $0 and not marked unpriced; a cost set earlier is kept', () => {
      const step = createCostStep(pricing, capturingLogger().logger);
      const ex = settled({ model: 'mystery-model', usage: undefined, status: 401, outcome: 'rejected' });
      step(ex);
      expect(ex.state).to.deep.equal({ costUsd: '0' });
      const preset = settled({ model: 'gpt-4o', usage: usage({ inputTokens: 5 }), state: { costUsd: '1.5' } });
      step(preset);
      expect(preset.state.costUsd).to.equal('1.5');
    });
  });

  describe('through the gateway (Claude mock)', () => {
    const KEY = 'hub_sk_AccountingCostTest0000000000000000001';
    let mock: MockUpstream;
    let hub: TestGateway;

    before(async () => {
      // 1000 in, 500 out, 3000 cache writes of which 1000 with 1 h TTL, 10000 cache reads
      mock = await createMockUpstream({ usage: { input: 1000, output: 500, cacheCreation: 3000, cacheCreation1h: 1000, cacheRead: 10_000 } });
      hub = await createTestGateway({
        baseDir: path.resolve(import.meta.dirname),
        yaml: `
plugins:
  - name: auth
  - name: provider-claude
  - name: accounting
    options:
      flushIntervalMs: 20
      prices: { "house-model": { input: 2, output: 4 } }
providers:
  - name: claude-mock
    type: claude
    url: ${mock.url}
    key: sk-ant-x
    costMultiplier: 1.1
users:
  - name: carol
    keys: [{ name: k, key: ${KEY} }]
`,
      });
    });
    after(async () => {
      await hub?.close();
      await mock?.close();
    });

    async function send(model: string, stream = false): Promise<string> {
      const res = await fetch(`${hub.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: JSON.stringify({ model, max_tokens: 8, stream, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).to.equal(200);
      await res.arrayBuffer();
      return res.headers.get('x-cch-request-id')!;
    }

    it('writes the cost (5 m and 1 h cache writes, reads, × multiplier) on the row', async () => {
      // sonnet-4-5: 1000×3 + 500×15 + 2000×3.75 + 1000×6 + 10000×0.3 = 27000 µ$; × 1.1 = 29700 µ$
      for (const stream of [false, true]) {
        const row = await waitForRow(hub, await send('claude-sonnet-4-5-20250929', stream));
        expect(row.cacheCreation1hTokens).to.equal(1000);
        expect(Number(row.costUsd)).to.equal(0.0297);
        expect(row.costUsd).to.equal('0.0297000000');
        expect(row.decision).to.not.have.property('unpriced');
      }
    });

    it('uses the YAML price overrides (USD per million)', async () => {
      // house-model (not a Claude name: cache prices fall back to input): (1000 + 3000 + 10000)×2 + 500×4 = 30000 µ$ × 1.1
      const row = await waitForRow(hub, await send('house-model'));
      expect(row.costUsd).to.equal('0.0330000000');
    });

    it('counts requests, tokens and cost on the gateway /metrics', async () => {
      const res = await fetch(`${hub.url}/metrics`);
      expect(res.status).to.equal(200);
      const f = parsePrometheusText(await res.text());
      expect(sampleValue(f, 'cch_requests_total', { provider: 'claude-mock', model: 'claude-sonnet-4-5-20250929', status: '200', outcome: 'completed' })).to.equal(2);
      expect(sampleValue(f, 'cch_tokens_total', { model: 'claude-sonnet-4-5-20250929', type: 'cache_read' })).to.equal(20_000);
      expect(sampleValue(f, 'cch_cost_usd_total', { model: 'claude-sonnet-4-5-20250929' })).to.be.closeTo(0.0594, 1e-12);
      expect(sampleValue(f, 'cch_request_log_queue_depth')).to.be.a('number');
    });

    it('logs an unknown model at $0 with { unpriced: true } in the decision', async () => {
      const row = await waitForRow(hub, await send('claude-unknown-9'));
      expect(row.costUsd).to.equal('0.0000000000');
      expect(row.decision).to.deep.include({ unpriced: true });
      const pricing = hub.gw.services.pricing!;
      expect(pricing.cost('claude-unknown-9', { inputTokens: 1, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, reasoningTokens: 0 }, 1)).to.equal('0');
      await eventually(() => hub.gw.services.requestLog!.stats().queued === 0, 'queue drained');
    });
  });
});
