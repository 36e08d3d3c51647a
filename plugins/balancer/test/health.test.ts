import { expect } from 'chai';
import { createLogger, createMemoryStore, DEFAULT_TIMEOUTS, type ProviderAdapter, type ProviderRecord } from '@cch/core';
import type { RouteCandidate } from '../src/index.ts';
import { checkHealth, coolDown, createGuard, createHealthCache, type BreakerLike } from '../src/health.ts';

function cand(id: number): RouteCandidate {
  const provider = { id, name: `p${id}`, weight: 1, priority: 0, timeouts: DEFAULT_TIMEOUTS } as ProviderRecord;
  return { provider, adapter: { format: 'anthropic-messages' } as ProviderAdapter, model: 'm', translated: false, halfOpen: false };
}

function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  return { logger: createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as { level: number; msg: string }) } }), lines };
}

describe('balancer health checks', function () {
  it('excludes open circuits, cooling providers and those over their limits; flags half-open ones', async () => {
    let t = 1_000_000;
    const store = createMemoryStore({ clock: { now: () => t } });
    const breaker: BreakerLike = {
      state: async (id) => (id === 1 ? { state: 'open', failures: 5, openedAt: t, retryAt: t + 60_000 } : id === 2 ? { state: 'half_open', failures: 5 } : { state: 'closed', failures: 0 }),
      allow: async () => true,
      recordAttempt: async () => {},
    };
    const seen: (string | undefined)[] = [];
    const limits = { isAvailable: (id: number, o?: { sessionId?: string }) => (seen.push(o?.sessionId), id !== 4) };
    await coolDown(store, 3, 30, t);
    const guard = createGuard(createLogger({ level: 'silent' }));
    const r = await checkHealth([1, 2, 3, 4, 5].map(cand), { store, cache: createHealthCache(0), breaker, limits, guard, now: t, sessionId: 's1' });
    expect(r.available.map((c) => [c.provider.id, c.halfOpen])).to.deep.equal([
      [2, true],
      [5, false],
    ]);
    expect(r.excluded).to.deep.equal([
      { id: 1, name: 'p1', reason: 'circuit_open', until: t + 60_000 },
      { id: 3, name: 'p3', reason: 'cooling_down', until: t + 30_000 },
      { id: 4, name: 'p4', reason: 'rate_limited' },
    ]);
    expect(seen).to.include('s1');
    t += 30_001;
    expect((await checkHealth([cand(3)], { store, cache: createHealthCache(0), breaker: undefined, limits: undefined, guard, now: t, sessionId: undefined })).available).to.have.length(1);
    await store.close();
  });

  it('answers without a promise once every lookup is cached, with the same verdicts', async () => {
    let t = 1_000_000;
    const store = createMemoryStore({ clock: { now: () => t } });
    const breaker: BreakerLike = {
      state: async (id) => (id === 1 ? { state: 'open', failures: 5, openedAt: t, retryAt: t + 60_000 } : { state: 'closed', failures: 0 }),
      allow: async () => true,
      recordAttempt: async () => {},
    };
    const limits = { isAvailable: async () => true }; // a "no" is asked again every time, by design
    await coolDown(store, 3, 30, t);
    const deps = { store, cache: createHealthCache(1000, () => t), breaker, limits, guard: createGuard(createLogger({ level: 'silent' })), now: t, sessionId: 's1' };
    const first = checkHealth([1, 2, 3, 4].map(cand), deps);
    expect(first).to.be.instanceOf(Promise);
    const cold = await first;
    await new Promise((r) => setImmediate(r)); // the cache records settled values
    const warm = checkHealth([1, 2, 3, 4].map(cand), deps);
    expect(warm).not.to.be.instanceOf(Promise);
    expect(warm).to.deep.equal(cold);
    expect((warm as Awaited<typeof first>).available.map((c) => c.provider.id)).to.deep.equal([2, 4]);
    t += 2000; // past the cache: asked again
    expect(checkHealth([1, 2, 3, 4].map(cand), { ...deps, now: t })).to.be.instanceOf(Promise);
    await store.close();
  });

  it('a failing lookup counts as available, is logged once, and is skipped for a while', async () => {
    let t = 0;
    const { logger, lines } = recordingLogger();
    const guard = createGuard(logger, () => t);
    let calls = 0;
    const broken = () => {
      calls++;
      throw new Error('Connection is closed.');
    };
    expect(await guard('store', broken, 'fallback')).to.equal('fallback');
    expect(await guard('store', broken, 'fallback')).to.equal('fallback');
    expect(calls).to.equal(1, 'not tried again at once');
    t += 5_001;
    expect(await guard('store', broken, 'fallback')).to.equal('fallback');
    expect(calls).to.equal(2);
    expect(lines.filter((l) => l.level === 40)).to.have.length(1);
    t += 5_001;
    expect(await guard('store', () => 'ok', 'fallback')).to.equal('ok');
    expect(lines.at(-1)!.msg).to.include('works again');
  });

  it('lookups of a burst that fail and succeed in turn warn once a minute, with the failures in between', async () => {
    let t = 0;
    const { logger, lines } = recordingLogger();
    const guard = createGuard(logger, () => t);
    // Ten lookups already in flight when the first one fails; they come back alternately late and in time.
    const answers = Array.from({ length: 10 }, (_, i) =>
      guard('breaker', () => new Promise<string>((resolve, reject) => setTimeout(() => (i % 2 ? resolve('closed') : reject(new Error('timed out after 500 ms'))), i)), 'fallback'),
    );
    expect(await Promise.all(answers)).to.deep.equal(Array.from({ length: 10 }, (_, i) => (i % 2 ? 'closed' : 'fallback')));
    expect(lines.filter((l) => l.level === 40)).to.have.length(1);
    expect(lines.filter((l) => l.level === 30 && l.msg.includes('works again'))).to.have.length(1);
    t += 60_000;
    await guard('breaker', () => Promise.reject(new Error('timed out after 500 ms')), 'fallback');
    const warnings = lines.filter((l) => l.level === 40) as unknown as { failuresSinceLastWarning?: number }[];
    expect(warnings).to.have.length(2);
    expect(warnings[1]!.failuresSinceLastWarning).to.equal(4);
  });

  it('lookups that fail together (a burst timing out at once) log one warning, not one each', async () => {
    const { logger, lines } = recordingLogger();
    const guard = createGuard(logger);
    const failing = () => new Promise<string>((_, reject) => setImmediate(() => reject(new Error('timed out after 500 ms'))));
    const results = await Promise.all(Array.from({ length: 50 }, () => guard('providerLimits', failing, 'fallback')));
    expect(results.every((r) => r === 'fallback')).to.equal(true);
    expect(lines.filter((l) => l.level === 40)).to.have.length(1);
  });
});
