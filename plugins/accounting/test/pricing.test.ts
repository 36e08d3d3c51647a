import { expect } from 'chai';
import type { Usage } from '@cch/core';
import { addUsd, createPricing } from '@cch/core';
import { createPricingService } from '../src/cost.ts';

function usage(u: Partial<Usage>): Usage {
  return { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, reasoningTokens: 0, ...u };
}

// Every expected number below is worked by hand from the per-million prices in the comment.
describe('pricing (core/src/pricing)', () => {
  const pricing = createPricing();

  describe('Claude', () => {
    it('prices input, output, 5 m and 1 h cache writes and cache reads separately', () => {
      // sonnet-4-5: $3 in, $15 out, $3.75 5m write, $6 1h write, $0.30 read (per M)
      // 1000×3 + 500×15 + 2000×3.75 + 1000×6 + 10000×0.30 = 3000 + 7500 + 7500 + 6000 + 3000 = 27000 µ$
      const u = usage({ inputTokens: 1000, outputTokens: 500, cacheCreationTokens: 3000, cacheCreation5mTokens: 2000, cacheCreation1hTokens: 1000, cacheReadTokens: 10_000 });
      expect(pricing.cost('claude-sonnet-4-5', u)).to.deep.equal({ usd: '0.027', priced: true, pricedAs: 'claude-sonnet-4-5' });
      // × provider cost multiplier 1.1 = 0.0297
      expect(pricing.cost('claude-sonnet-4-5', u, 1.1).usd).to.equal('0.0297');
    });

    it('counts unsplit cache writes as 5 m writes', () => {
      // haiku-4-5: $1 in, $5 out, $1.25 5m write. 100×1 + 10×5 + 400×1.25 = 100 + 50 + 500 = 650 µ$
      expect(pricing.cost('claude-haiku-4-5', usage({ inputTokens: 100, outputTokens: 10, cacheCreationTokens: 400 })).usd).to.equal('0.00065');
    });

    it('uses the old Opus prices for opus-4-1 and the new ones for opus-4-5', () => {
      // opus-4-1: 123×15 + 456×75 + 7890×1.5 = 1845 + 34200 + 11835 = 47880 µ$
      const u = usage({ inputTokens: 123, outputTokens: 456, cacheReadTokens: 7890 });
      expect(pricing.cost('claude-opus-4-1-20250805', u).usd).to.equal('0.04788');
      // opus-4-5: 123×5 + 456×25 + 7890×0.5 = 615 + 11400 + 3945 = 15960 µ$
      expect(pricing.cost('claude-opus-4-5-20251101', u).usd).to.equal('0.01596');
    });

    it('switches the whole request to the long-context rates above 200k prompt tokens', () => {
      // prompt = 190000 + 20000 (1h write) = 210000 > 200k → $6 in, $22.50 out, $12 1h write
      // 190000×6 + 20000×12 + 1000×22.5 = 1140000 + 240000 + 22500 = 1402500 µ$
      const u = usage({ inputTokens: 190_000, outputTokens: 1000, cacheCreationTokens: 20_000, cacheCreation1hTokens: 20_000 });
      expect(pricing.cost('claude-sonnet-4-5', u).usd).to.equal('1.4025');
      // exactly 200k is not above: 180000×3 + 20000×6 + 1000×15 = 540000 + 120000 + 15000 = 675000 µ$
      const at = usage({ inputTokens: 180_000, outputTokens: 1000, cacheCreationTokens: 20_000, cacheCreation1hTokens: 20_000 });
      expect(pricing.cost('claude-sonnet-4-5', at).usd).to.equal('0.675');
    });

    it('falls back to 1.25× / 2× / 0.1× input for Claude cache prices missing from the table', () => {
      const p = createPricing({}, { table: { 'claude-x': { litellm_provider: 'anthropic', input_cost_per_token: 8e-7, output_cost_per_token: 4e-6 } } });
      const price = p.price('claude-x')!;
      expect(price.cacheWrite5mPerToken).to.equal(1e-6);
      expect(price.cacheWrite1hPerToken).to.equal(1.6e-6);
      expect(price.cacheReadPerToken).to.equal(8e-8);
      // 1000×0.8 + 1000×1.0 (5m) + 1000×1.6 (1h) + 1000×0.08 = 800 + 1000 + 1600 + 80 = 3480 µ$
      const u = usage({ inputTokens: 1000, cacheCreationTokens: 2000, cacheCreation1hTokens: 1000, cacheReadTokens: 1000 });
      expect(p.cost('claude-x', u).usd).to.equal('0.00348');
    });
  });

  describe('OpenAI', () => {
    it('prices cached prompt tokens at the cached rate (input excludes them)', () => {
      // gpt-5: $1.25 in, $0.125 cached, $10 out. prompt 10000 of which 8000 cached; 1500 out incl. 1000 reasoning
      // 2000×1.25 + 8000×0.125 + 1500×10 = 2500 + 1000 + 15000 = 18500 µ$ (reasoning not added again)
      const u = usage({ inputTokens: 2000, cacheReadTokens: 8000, outputTokens: 1500, reasoningTokens: 1000 });
      expect(pricing.cost('gpt-5', u).usd).to.equal('0.0185');
      // gpt-4o: $2.50 in, $1.25 cached, $10 out: 700×2.5 + 1300×1.25 + 200×10 = 1750 + 1625 + 2000 = 5375 µ$
      expect(pricing.cost('gpt-4o-2024-08-06', usage({ inputTokens: 700, cacheReadTokens: 1300, outputTokens: 200 })).usd).to.equal('0.005375');
    });

    it('knows the codex and reasoning models', () => {
      // gpt-5-codex as gpt-5; o4-mini: $1.10 in, $0.275 cached, $4.40 out → 1000×1.1 + 1000×0.275 + 1000×4.4 = 5775 µ$
      expect(pricing.cost('gpt-5-codex', usage({ inputTokens: 2000, cacheReadTokens: 8000, outputTokens: 1500 })).usd).to.equal('0.0185');
      expect(pricing.cost('o4-mini-2025-04-16', usage({ inputTokens: 1000, cacheReadTokens: 1000, outputTokens: 1000 })).usd).to.equal('0.005775');
      expect(pricing.price('o3')?.inputPerToken).to.equal(2e-6);
      expect(pricing.price('gpt-4.1-mini-2025-04-14')?.model).to.equal('gpt-4.1-mini');
    });
  });

  describe('Gemini', () => {
    it('prices cached content at the cache rate and thoughts once, as output', () => {
      // 2.5-flash: $0.30 in, $0.03 cached, $2.50 out. prompt 12000 with 10000 cached; 300 candidates + 700 thoughts
      // the adapter reports output = 1000 (thoughts included) and reasoning = 700 separately
      // 2000×0.3 + 10000×0.03 + 1000×2.5 = 600 + 300 + 2500 = 3400 µ$
      const u = usage({ inputTokens: 2000, cacheReadTokens: 10_000, outputTokens: 1000, reasoningTokens: 700 });
      expect(pricing.cost('gemini-2.5-flash', u).usd).to.equal('0.0034');
      expect(pricing.cost('models/gemini-2.5-flash', u).usd).to.equal('0.0034');
    });

    it('uses the >200k prompt prices of 2.5 Pro for the whole request', () => {
      // above: $2.50 in, $0.25 cached, $15 out: 150000×2.5 + 100000×0.25 + 2000×15 = 375000 + 25000 + 30000 = 430000 µ$
      expect(pricing.cost('gemini-2.5-pro', usage({ inputTokens: 150_000, cacheReadTokens: 100_000, outputTokens: 2000 })).usd).to.equal('0.43');
      // prompt exactly 200000: $1.25, $0.125, $10: 187500 + 6250 + 20000 = 213750 µ$
      expect(pricing.cost('gemini-2.5-pro', usage({ inputTokens: 150_000, cacheReadTokens: 50_000, outputTokens: 2000 })).usd).to.equal('0.21375');
    });

    it('knows flash-lite and the 3.x previews', () => {
      expect(pricing.price('gemini-2.5-flash-lite')?.inputPerToken).to.equal(1e-7);
      expect(pricing.price('gemini-3-pro-preview')?.above200k?.inputPerToken).to.equal(4e-6);
    });
  });

  describe('lookup', () => {
    for (const [asked, key] of [
      ['claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
      ['claude-sonnet-4-6', 'claude-sonnet-4-6'],
      ['claude-opus-4-6', 'claude-opus-4-6'],
      ['anthropic/claude-haiku-4-5', 'claude-haiku-4-5'],
      ['us.anthropic.claude-opus-4-1-20250805-v1:0', 'claude-opus-4-1'],
      ['claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
      ['claude-3-5-sonnet-20241022', 'claude-3-5-sonnet'],
      ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
      ['claude-3-5-haiku-20241022', 'claude-3-5-haiku'],
      ['CLAUDE-SONNET-4-5', 'claude-sonnet-4-5'],
      ['openai/gpt-5-mini', 'gpt-5-mini'],
      ['gemini-2.5-flash-preview-09-2025', 'gemini-2.5-flash'],
      ['gemini-2.5-pro-preview-06-05', 'gemini-2.5-pro'],
    ] as const) {
      it(`${asked} → ${key}`, () => expect(pricing.price(asked)?.model).to.equal(key));
    }

    it('an unknown model costs $0 and says it is unpriced', () => {
      expect(pricing.price('llama-9000')).to.equal(undefined);
      expect(pricing.cost('llama-9000', usage({ inputTokens: 1000, outputTokens: 1000 }))).to.deep.equal({ usd: '0', priced: false });
      expect(pricing.cost(undefined, usage({ inputTokens: 1 }))).to.deep.equal({ usd: '0', priced: false });
    });
  });

  describe('overrides (USD per million)', () => {
    it('win over the table, for dated names too, with Claude cache fallbacks', () => {
      const p = createPricing({ 'claude-sonnet-4-5': { input: 1, output: 2 }, 'my-llm': { input: 0.5, output: 1.5, cacheRead: 0.05 } });
      const price = p.price('claude-sonnet-4-5-20250929')!;
      expect(price).to.include({ source: 'override', inputPerToken: 1e-6, outputPerToken: 2e-6, cacheWrite5mPerToken: 1.25e-6, cacheReadPerToken: 1e-7 });
      // my-llm: 1000×0.5 + 1000×0.05 + 1000×1.5 = 2050 µ$
      expect(p.cost('my-llm', usage({ inputTokens: 1000, cacheReadTokens: 1000, outputTokens: 1000 })).usd).to.equal('0.00205');
    });
  });

  describe('decimal arithmetic', () => {
    it('keeps sub-cent amounts exact and rounds to 10 fractional digits', () => {
      // gpt-5-nano cached: $0.005 per M = 5e-9 per token
      expect(pricing.cost('gpt-5-nano', usage({ cacheReadTokens: 1 })).usd).to.equal('0.000000005');
      // 5e-9 × 0.01 = 5e-11 → rounds half up to 1e-10
      expect(pricing.cost('gpt-5-nano', usage({ cacheReadTokens: 1 }), 0.01).usd).to.equal('0.0000000001');
      // 3 × $0.1 (float sum would be 0.30000000000000004)
      expect(addUsd('0.1', '0.1', '0.1')).to.equal('0.3');
      let total = '0';
      for (let i = 0; i < 1000; i++) total = addUsd(total, pricing.cost('claude-3-haiku', usage({ inputTokens: 1 })).usd);
      // 1000 × $0.25 per M
      expect(total).to.equal('0.00025');
    });

    it('a multiplier of 0 makes the request free but still priced', () => {
      expect(pricing.cost('gpt-4o', usage({ inputTokens: 1000 }), 0)).to.deep.equal({ usd: '0', priced: true, pricedAs: 'gpt-4o' });
    });
  });

  it('the pricing service keeps the shape the limit plugins code against', () => {
    const svc = createPricingService(pricing);
    const p = svc.price('claude-sonnet-4-5')!;
    expect(p.inputPerToken).to.equal(3e-6);
    expect(p.outputPerToken).to.equal(15e-6);
    expect(svc.price('nope')).to.equal(undefined);
    // 100000 × $3 per M × 2
    expect(svc.cost('claude-sonnet-4-5', usage({ inputTokens: 100_000 }), 2)).to.equal('0.6');
  });
});
