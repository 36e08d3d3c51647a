import { expect } from 'chai';
import { chooseFirst, pick, seededRng, type Pickable } from '../src/index.ts';

let nextId = 1;
function cand(name: string, weight: number, priority = 0, translated = false): Pickable {
  return { provider: { id: nextId++, name, weight, priority }, translated };
}

function distribution(cands: Pickable[], n: number, seed: number): Record<string, number> {
  const rng = seededRng(seed);
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = pick(cands, rng)!.chosen.provider.name;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));
}

describe('balancer picker', function () {
  it('splits traffic by weight: 60/30/10 within 2 points over 10k picks', () => {
    const cands = [cand('a', 60), cand('b', 30), cand('c', 10)];
    for (const seed of [1, 42, 2024]) {
      const d = distribution(cands, 10_000, seed);
      expect(d.a).to.be.closeTo(0.6, 0.02);
      expect(d.b).to.be.closeTo(0.3, 0.02);
      expect(d.c).to.be.closeTo(0.1, 0.02);
    }
    expect(pick(cands, seededRng(1))!.probabilities).to.deep.equal({ a: 0.6, b: 0.3, c: 0.1 });
  });

  it('a seeded generator is reproducible and covers [0, 1)', () => {
    const a = seededRng(7);
    const b = seededRng(7);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).to.deep.equal(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...xs)).to.be.at.least(0);
    expect(Math.max(...xs)).to.be.below(1);
  });

  it('takes the lowest priority number first, whatever the weights', () => {
    const d = distribution([cand('backup', 1000, 2), cand('main', 1, 1)], 500, 3);
    expect(d).to.deep.equal({ main: 1 });
  });

  it('among equal priority prefers same-format providers over translated ones', () => {
    const d = distribution([cand('translated', 100, 1, true), cand('native', 1, 1, false)], 500, 4);
    expect(d).to.deep.equal({ native: 1 });
    expect(distribution([cand('translated', 100, 1, true), cand('lower', 1, 2, false)], 200, 5)).to.deep.equal({ translated: 1 }, 'priority still comes first');
  });

  it('uses weight-0 providers only when nothing else is available, then uniformly', () => {
    expect(distribution([cand('standby', 0, 0), cand('weighted', 1, 5)], 300, 6)).to.deep.equal({ weighted: 1 });
    const d = distribution([cand('s1', 0), cand('s2', 0)], 4000, 7);
    expect(d.s1).to.be.closeTo(0.5, 0.03);
    expect(pick([cand('s', 0)], seededRng(1))!.standby).to.equal(true);
    expect(pick([], seededRng(1))).to.equal(undefined);
  });

  describe('sticky choice', () => {
    const rng = seededRng(11);
    const high = cand('high', 1, 1);
    const low = cand('low', 1, 2);
    const peer = cand('peer', 1, 2);

    it('keeps a session on its provider while it is available', () => {
      for (let i = 0; i < 20; i++) expect(chooseFirst([low, peer], peer.provider.id, true, rng)).to.deep.equal({ chosen: peer, how: 'session' });
    });
    it('moves a session back to a higher-priority provider when the option is on, and not when off', () => {
      const back = chooseFirst([high, low], low.provider.id, true, rng)!;
      expect(back).to.include({ chosen: high, how: 'weighted', reason: 'returned_to_higher_priority' });
      expect(chooseFirst([high, low], low.provider.id, false, rng)).to.deep.equal({ chosen: low, how: 'session' });
    });
    it('picks afresh when the bound provider is not available', () => {
      expect(chooseFirst([low], high.provider.id, true, rng)).to.include({ chosen: low, reason: 'bound_provider_unavailable' });
    });
    it('a translated provider of equal priority keeps its session', () => {
      const translated = cand('translated', 1, 2, true);
      expect(chooseFirst([peer, translated], translated.provider.id, true, rng)).to.deep.equal({ chosen: translated, how: 'session' });
    });
  });
});
