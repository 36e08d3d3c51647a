import { expect } from 'chai';
import { createRedisStore, type ScriptDefinition, type Store } from '@cch/core';
import { createFailoverStore } from '../src/index.ts';
import { createLedger } from '../../limit-cost/src/ledger.ts';
import { keySubject, toMicros } from '../src/index.ts';
import { createCuttableProxy, newPrefix, redisAvailable, REDIS_URL, silentLogger, type CuttableProxy } from './helpers.ts';

/** INCR a counter and return it: enough to see which backend answered. */
const COUNT: ScriptDefinition = {
  name: 'failoverTestCount',
  lua: `return redis.call('INCRBY', KEYS[1], ARGV[1])`,
  local: (db, keys, args) => db.incrBy(keys[0]!, Number(args[0])),
};

const until = async (cond: () => boolean | Promise<boolean>, what: string, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const describeRedis = redisAvailable() || process.env.CCH_REQUIRE_REDIS === '1' ? describe : describe.skip;

describeRedis('limits failover store: Redis goes away and comes back', function () {
  this.timeout(20_000);
  let proxy: CuttableProxy;
  let redis: Store;
  let direct: Store;
  const warnings: string[] = [];
  const infos: string[] = [];
  const logger = {
    warn: (_o: object, msg?: string) => void warnings.push(msg ?? ''),
    info: (_o: object, msg?: string) => void infos.push(msg ?? ''),
    error: () => undefined,
  };

  beforeEach(async () => {
    warnings.length = 0;
    infos.length = 0;
    const prefix = newPrefix();
    proxy = await createCuttableProxy(REDIS_URL);
    redis = await createRedisStore({ url: proxy.url, prefix });
    direct = await createRedisStore({ url: REDIS_URL, prefix });
  });
  afterEach(async () => {
    await proxy.restore();
    const keys = await direct.scan('*');
    if (keys.length) await direct.del(...keys);
    await redis.close();
    await direct.close();
    await proxy.close();
  });

  it('fails open to local memory counters, logs once, reports degraded, and goes back to Redis when it returns', async () => {
    const fo = createFailoverStore({ shared: redis, logger, callTimeoutMs: 1000, probeIntervalMs: 50 });
    const count = fo.define<number>(COUNT);
    expect(await count(['{t}:n'], [1])).to.deep.equal({ value: 1, on: 'shared' });
    expect(fo.status().degraded).to.equal(false);

    await proxy.cut();
    const down = await count(['{t}:n'], [1]);
    expect(down.on).to.equal('local');
    expect(down.value).to.equal(1); // a fresh per-instance counter
    expect((await count(['{t}:n'], [1])).value).to.equal(2);
    const st = fo.status();
    expect(st.degraded).to.equal(true);
    expect(st.since).to.be.instanceOf(Date);
    expect(st.lastError).to.be.a('string');
    expect(warnings).to.have.length(1);

    await proxy.restore();
    await until(async () => (await count(['{t}:n'], [1])).on === 'shared', 'the shared store to be used again');
    expect(fo.status().degraded).to.equal(false);
    expect(infos.some((m) => /back to shared counters/.test(m))).to.equal(true);
    expect(Number(await direct.get('{t}:n'))).to.equal(2); // Redis kept its own count
    await fo.close();
  });

  it('replays spend booked during the outage into Redis once it is back', async () => {
    const fo = createFailoverStore({ shared: redis, logger, callTimeoutMs: 1000, probeIntervalMs: 50 });
    const ledger = createLedger(fo, { timezone: 'UTC', resetMinutes: 0, reservationTtlMs: 60_000 });
    const k = keySubject({ keyId: 1, keyName: 'k', userId: 1, limits: { usdDaily: 10 } });
    const t = Date.now();
    await ledger.settle([{ subject: k, track5h: true }], 'before', toMicros(1), t, t);
    await proxy.cut();
    const on = await ledger.settle([{ subject: k, track5h: true }], 'during', toMicros(2), t, t);
    expect(on).to.equal('local');
    expect(fo.status().pendingReplays).to.equal(1);
    await proxy.restore();
    await until(async () => !fo.status().degraded && fo.status().pendingReplays === 0, 'the replay');
    const directLedger = createLedger(createFailoverStore({ shared: direct, logger }), { timezone: 'UTC', resetMinutes: 0, reservationTtlMs: 60_000 });
    const r = await directLedger.read(k, t);
    expect(r.settled.usdDaily).to.equal(toMicros(3));
    expect(r.settled.usd5h).to.equal(toMicros(3));
    await fo.close();
  });

  it('a release for a shared-store acquire is queued, not run locally, while degraded', async () => {
    const fo = createFailoverStore({ shared: redis, logger, callTimeoutMs: 1000, probeIntervalMs: 60_000 });
    const count = fo.define<number>(COUNT);
    await proxy.cut();
    await count(['{t}:n'], [1]); // enters degraded mode
    let err: Error | undefined;
    await count(['{t}:n'], [5], { on: 'shared', replay: true }).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/unavailable/);
    expect(fo.status().pendingReplays).to.equal(1);
    await fo.close();
  });
});

describe('limits failover store over a memory store', () => {
  it('has nothing to fail over to and is never degraded', async () => {
    const { createMemoryStore } = await import('@cch/core');
    const mem = createMemoryStore();
    const fo = createFailoverStore({ shared: mem, logger: silentLogger });
    const count = fo.define<number>(COUNT);
    expect(await count(['n'], [3])).to.deep.equal({ value: 3, on: 'shared' });
    expect(fo.status()).to.deep.include({ degraded: false, pendingReplays: 0 });
    await fo.close();
    await mem.close();
  });
});
