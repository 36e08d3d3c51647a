import { expect } from 'chai';
import { createRedisStore, type ScriptDefinition, type Store } from '@cch/core';
import { batcherFor, MAX_CALLS_PER_BATCH } from '../src/index.ts';
import { newPrefix, REDIS_URL } from './helpers.ts';

const PUSH: ScriptDefinition = {
  name: 'batchTestPush',
  lua: `redis.call('RPUSH', KEYS[1], ARGV[1]); return redis.call('LRANGE', KEYS[1], 0, -1)`,
  local: () => null,
};
const COUNT: ScriptDefinition = {
  name: 'batchTestCount',
  lua: `if ARGV[1] == 'fail' then return redis.call('INCR', KEYS[1]) end return redis.call('LLEN', KEYS[1])`,
  local: () => null,
};
const NIL: ScriptDefinition = { name: 'batchTestNil', lua: `return nil`, local: () => null };

/** The store with a count of calls per script name, to see what went to Redis as what. */
function counting(store: Store): { store: Store; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const wrapped: Store = Object.create(store) as Store;
  wrapped.defineScript = ((def: ScriptDefinition) => {
    const run = store.defineScript(def);
    const name = def.name.startsWith('limitsBatch_') ? 'batch' : def.name;
    return (keys, args) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return run(keys, args);
    };
  }) as Store['defineScript'];
  return { store: wrapped, calls };
}

describe('limit script batching (Redis)', function () {
  let raw: Store;
  beforeEach(async () => {
    raw = await createRedisStore({ url: REDIS_URL, prefix: newPrefix() });
  });
  afterEach(async () => {
    const keys = await raw.scan('*');
    if (keys.length) await raw.del(...keys);
    await raw.close();
  });

  /** Four calls in one tick: three on {u1}, one on {u2}. */
  async function oneTick(store: Store) {
    const b = batcherFor(store);
    for (const d of [PUSH, COUNT, NIL]) b.register(d);
    await new Promise((r) => setImmediate(r)); // the combined script is defined on a tick of its own
    const [a, c, n, other] = await Promise.all([
      b.run<string[]>(PUSH, ['{u1}:list'], ['x'], 2000),
      b.run<number>(COUNT, ['{u1}:list'], [], 2000),
      b.run<null>(NIL, ['{u1}:nothing'], [], 2000),
      b.run<string[]>(PUSH, ['{u2}:list'], ['y'], 2000),
    ]);
    expect(a).to.deep.equal(['x']);
    expect(c).to.equal(1); // ran after the push, in order, inside the same script
    expect(n).to.equal(null);
    expect(other).to.deep.equal(['y']);
  }

  it('on a single node, sends the calls of one tick as one script call, each caller getting its own result', async () => {
    const { store, calls } = counting(raw);
    expect(raw.clustered).to.equal(false);
    await oneTick(store);
    expect(calls.get('batch')).to.equal(1);
    expect(calls.get(PUSH.name) ?? 0).to.equal(0);
    expect(calls.get(COUNT.name) ?? 0).to.equal(0);
  });

  it('on a cluster, sends one script call per hash slot', async () => {
    const { store, calls } = counting(raw);
    Object.defineProperty(store, 'clustered', { value: true });
    await oneTick(store);
    // {u1}: one batch of three; {u2}: alone, so its own script.
    expect(calls.get('batch')).to.equal(1);
    expect(calls.get(PUSH.name)).to.equal(1);
    expect(calls.get(COUNT.name) ?? 0).to.equal(0);
  });

  it('a member that fails rejects only its own caller', async () => {
    const b = batcherFor(raw);
    for (const d of [PUSH, COUNT]) b.register(d);
    await new Promise((r) => setImmediate(r));
    const results = await Promise.allSettled([
      b.run<string[]>(PUSH, ['{u3}:list'], ['x'], 2000),
      b.run<number>(COUNT, ['{u3}:list'], ['fail'], 2000), // INCR on a list: WRONGTYPE
      b.run<number>(COUNT, ['{u3}:list'], [], 2000),
    ]);
    expect(results[0]).to.deep.include({ status: 'fulfilled', value: ['x'] });
    expect(results[1]!.status).to.equal('rejected');
    expect(String((results[1] as PromiseRejectedResult).reason)).to.match(/WRONGTYPE|wrong kind/i);
    expect(results[2]).to.deep.include({ status: 'fulfilled', value: 1 });
  });

  it('splits a burst on one hash slot into script calls of at most MAX_CALLS_PER_BATCH', async () => {
    const { store, calls } = counting(raw);
    const b = batcherFor(store);
    for (const d of [PUSH, COUNT]) b.register(d);
    await new Promise((r) => setImmediate(r));
    const n = 1000;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => b.run<string[]>(PUSH, ['{u5}:burst'], [String(i)], 5000)));
    // Every caller got the list as it was right after its own push: order kept, nothing lost.
    results.forEach((r, i) => expect(r.length).to.equal(i + 1));
    expect(calls.get('batch')).to.equal(Math.ceil(n / MAX_CALLS_PER_BATCH));
  });

  it('calls of a script the combined one lacks yet (registered late) still run, one by one; batched once it is rebuilt', async () => {
    const { store, calls } = counting(raw);
    const b = batcherFor(store);
    b.register(PUSH);
    await new Promise((r) => setImmediate(r)); // combined script: PUSH only
    const first = Promise.all([b.run<string[]>(PUSH, ['{u4}:l'], ['a'], 2000), b.run<number>(COUNT, ['{u4}:l'], [], 2000)]);
    b.register(COUNT); // the rebuild comes after this turn's flush
    expect(await first).to.deep.equal([['a'], 1]);
    expect([calls.get(PUSH.name), calls.get(COUNT.name), calls.get('batch') ?? 0]).to.deep.equal([1, 1, 0]);
    const second = await Promise.all([b.run<string[]>(PUSH, ['{u4}:l'], ['b'], 2000), b.run<number>(COUNT, ['{u4}:l'], [], 2000)]);
    expect(second).to.deep.equal([['a', 'b'], 2]);
    expect(calls.get('batch')).to.equal(1);
  });

  it('calls issued in different ticks of one turn of the event loop (requests read together) share one script call', async () => {
    const { store, calls } = counting(raw);
    const b = batcherFor(store);
    b.register(PUSH);
    await new Promise((r) => setImmediate(r));
    // Two sockets readable in the same poll phase: two callbacks, each with its own ticks.
    const results = await new Promise<unknown[]>((resolve) => {
      const out: Promise<unknown>[] = [];
      let n = 0;
      const arrive = (v: string) => () => {
        out.push(b.run<string[]>(PUSH, ['{u5}:l'], [v], 2000));
        process.nextTick(() => undefined);
        if (++n === 2) resolve(Promise.all(out));
      };
      const s1 = setTimeout(arrive('a'), 1);
      const s2 = setTimeout(arrive('b'), 1);
      void [s1, s2];
    });
    expect(results).to.deep.equal([['a'], ['a', 'b']]);
    expect(calls.get('batch')).to.equal(1);
    expect(calls.get(PUSH.name) ?? 0).to.equal(0);
  });
});
