import { expect } from 'chai';
import { Registry } from 'prom-client';
import { observeExchange, readCircuits, registerMetrics } from '../src/metrics.ts';
import type { LogWriterStats } from '../src/writer.ts';
import type { Identity } from '@cch/core';
import { settled, usage } from './helpers.ts';

const identity = { userId: 1, userName: 'u', keyId: 1, keyName: 'k' } as Identity;
import { parsePrometheusText, sampleValue } from './prom-text.ts';

describe('accounting: metrics', () => {
  const stats: LogWriterStats = { queued: 7, spooledRows: 42, spoolBytes: 4096, spoolSegments: 1, dropped: 0, dbHealthy: false, oldestQueuedMs: 1200, lastError: 'down' };
  let snapshot: unknown = [
    { providerName: 'alpha', state: 'open' },
    { providerName: 'beta', state: 'half-open' },
  ];

  function fresh() {
    const registry = new Registry();
    const m = registerMetrics(registry, { logStats: () => stats, breakerSnapshot: () => snapshot });
    return { registry, m };
  }

  it('exposes requests, latency, TTFB, tokens, cost, limit rejections, circuits and the log queue as valid Prometheus text', async () => {
    const { registry, m } = fresh();
    const ok = settled({ identity, model: 'claude-sonnet-4-5', servedModel: 'claude-sonnet-4-5', providerName: 'alpha', usage: usage({ inputTokens: 100, outputTokens: 20, cacheReadTokens: 50, cacheCreationTokens: 5, reasoningTokens: 3 }), durationMs: 1500, ttfbMs: 300, state: { costUsd: '0.000615' } });
    observeExchange(m, ok);
    observeExchange(m, { ...ok, id: 'b', state: { costUsd: '0.000615' } });
    observeExchange(m, settled({ identity, model: 'claude-sonnet-4-5', status: 429, outcome: 'rejected', errorClass: 'rate_limit', durationMs: 2 }));
    observeExchange(m, settled({ identity, model: 'claude-sonnet-4-5', status: 402, outcome: 'rejected', errorClass: 'quota', durationMs: 2 }));
    observeExchange(m, settled({ identity, model: 'x-unknown', providerName: 'alpha', usage: usage({ inputTokens: 1 }), state: { costUsd: '0', costUnpriced: true } }));

    const text = await registry.metrics();
    const f = parsePrometheusText(text); // throws on any malformed line
    expect(f.get('cch_requests_total')!.type).to.equal('counter');
    expect(sampleValue(f, 'cch_requests_total', { provider: 'alpha', model: 'claude-sonnet-4-5', status: '200', outcome: 'completed' })).to.equal(2);
    expect(sampleValue(f, 'cch_requests_total', { provider: 'none', status: '429', outcome: 'rejected' })).to.equal(1);
    expect(f.get('cch_request_duration_seconds')!.type).to.equal('histogram');
    expect(sampleValue(f, 'cch_request_duration_seconds_bucket', { provider: 'alpha', le: '1' })).to.equal(0);
    expect(sampleValue(f, 'cch_request_duration_seconds_bucket', { provider: 'alpha', le: '2.5' })).to.equal(2);
    expect(sampleValue(f, 'cch_request_duration_seconds_count', { provider: 'alpha', model: 'claude-sonnet-4-5' })).to.equal(2);
    expect(sampleValue(f, 'cch_request_ttfb_seconds_sum', { provider: 'alpha', model: 'claude-sonnet-4-5' })).to.be.closeTo(0.6, 1e-9);
    expect(sampleValue(f, 'cch_tokens_total', { provider: 'alpha', model: 'claude-sonnet-4-5', type: 'input' })).to.equal(200);
    expect(sampleValue(f, 'cch_tokens_total', { model: 'claude-sonnet-4-5', type: 'cache_read' })).to.equal(100);
    expect(sampleValue(f, 'cch_tokens_total', { model: 'claude-sonnet-4-5', type: 'reasoning' })).to.equal(6);
    expect(sampleValue(f, 'cch_cost_usd_total', { provider: 'alpha', model: 'claude-sonnet-4-5' })).to.be.closeTo(0.00123, 1e-12);
    expect(sampleValue(f, 'cch_unpriced_requests_total', { model: 'x-unknown' })).to.equal(1);
    expect(sampleValue(f, 'cch_limit_rejections_total', { status: '429', kind: 'rate_limit' })).to.equal(1);
    expect(sampleValue(f, 'cch_limit_rejections_total', { status: '402', kind: 'quota' })).to.equal(1);
    expect(f.get('cch_circuit_state')!.type).to.equal('gauge');
    expect(sampleValue(f, 'cch_circuit_state', { provider: 'alpha', state: 'open' })).to.equal(1);
    expect(sampleValue(f, 'cch_circuit_state', { provider: 'alpha', state: 'closed' })).to.equal(0);
    expect(sampleValue(f, 'cch_circuit_state', { provider: 'beta', state: 'half_open' })).to.equal(1);
    expect(sampleValue(f, 'cch_request_log_queue_depth')).to.equal(7);
    expect(sampleValue(f, 'cch_request_log_spooled_rows')).to.equal(42);
  });

  it('keeps the model label set bounded', async () => {
    const { registry, m } = fresh();
    observeExchange(m, settled({ model: 'random-junk-1', status: 401, outcome: 'rejected' }));
    for (let i = 0; i < 600; i++) observeExchange(m, settled({ identity, model: `model-${i}`, status: 404, outcome: 'failed' }));
    const f = parsePrometheusText(await registry.metrics());
    const models = new Set(f.get('cch_requests_total')!.samples.map((s) => s.labels.model));
    expect(models.has('unauthenticated')).to.equal(true);
    expect(models.has('random-junk-1')).to.equal(false);
    expect(models.has('other')).to.equal(true);
    expect(models.size).to.equal(502);
    expect(sampleValue(f, 'cch_requests_total', { model: 'other' })).to.equal(100);
  });

  it('reads circuit state at scrape time and copes without a breaker', async () => {
    const { registry } = fresh();
    // The circuit-breaker plugin's shape: an async snapshot with a providers list.
    snapshot = Promise.resolve({ storage: 'shared', providers: [{ providerId: 1, provider: 'alpha', state: 'closed', failures: 0 }] });
    let f = parsePrometheusText(await registry.metrics());
    expect(sampleValue(f, 'cch_circuit_state', { provider: 'alpha', state: 'closed' })).to.equal(1);
    expect(sampleValue(f, 'cch_circuit_state', { provider: 'beta' })).to.equal(undefined);
    snapshot = undefined;
    f = parsePrometheusText(await registry.metrics());
    expect(f.get('cch_circuit_state')!.samples).to.have.length(0);
  });

  it('the parser rejects malformed text (so the checks above can fail)', () => {
    expect(() => parsePrometheusText('# TYPE x counter\nx{a="1" 3\n')).to.throw(/bad labels|not a sample/);
    expect(() => parsePrometheusText('y 1\n')).to.throw(/no TYPE/);
    expect(() => parsePrometheusText('# TYPE x counter\nx one\n')).to.throw(/bad value/);
  });

  it('understands the breaker snapshot shapes it may get', () => {
    expect([...readCircuits([{ provider: 'a', state: 'HALF_OPEN' }, { name: 'b', state: 'halfOpen' }, { providerName: 'c', state: 'weird' }])]).to.deep.equal([
      ['a', 'half_open'],
      ['b', 'half_open'],
    ]);
    expect([...readCircuits({ a: 'open', b: { state: 'closed' } })]).to.deep.equal([
      ['a', 'open'],
      ['b', 'closed'],
    ]);
    expect(readCircuits(null).size).to.equal(0);
    expect([...readCircuits({ providers: [{ provider: 'p', state: 'open' }] })]).to.deep.equal([['p', 'open']]);
  });
});
