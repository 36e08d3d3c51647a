import { after, before, describe, it } from 'mocha';
// chai 6 ships no typings and @types/chai is not installed; drop this once it is.
import { expect } from 'chai';
import type { ScriptDefinition, Store } from '../store/types.ts';

/** A clock the suite can move, so memory-store expiry tests need not sleep. */
export interface ConformanceClock {
  set(ms: number): void;
  advance(ms: number): void;
}

/** What {@link testStore}'s factory returns. */
export interface ConformanceSubject {
  store: Store;
  /** When given (and `realTime` is off), TTL tests advance it instead of waiting. */
  clock?: ConformanceClock;
}

/** Options for {@link testStore}. */
export interface ConformanceOptions {
  /** Wait real time for expiry even when a clock is supplied (e.g. Redis). */
  realTime?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds; pub/sub delivery is asynchronous on every store. */
async function until(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * A sliding-window limiter: drop entries older than the window, count, admit if under the
 * limit. `now` is an argument so the result does not depend on the server clock.
 * KEYS[1] window set; ARGV now, windowMs, limit, member. Returns [admitted 0|1, count].
 */
const slidingWindow: ScriptDefinition = {
  name: 'conformanceSlidingWindow',
  lua: `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, count + 1}
end
return {0, count}
`,
  local(db, keys, args) {
    const key = keys[0]!;
    const now = Number(args[0]);
    const window = Number(args[1]);
    const limit = Number(args[2]);
    db.zremRangeByScore(key, -Infinity, now - window);
    const count = db.zcard(key);
    if (count < limit) {
      db.zadd(key, now, args[3]!);
      db.pexpire(key, window);
      return [1, count + 1];
    }
    return [0, count];
  },
};

/** Returns each kind of value so both stores can be checked for identical reply shapes. */
const shapes: ScriptDefinition = {
  name: 'conformanceShapes',
  lua: `
local mode = ARGV[1]
if mode == 'nil' then return nil end
if mode == 'string' then return 'hello' end
if mode == 'float' then return 3.7 end
if mode == 'array' then return {1, 'two', {3, 'four'}, false, 'after-false'} end
if mode == 'get' then return redis.call('GET', KEYS[1]) end
if mode == 'write' then redis.call('SET', KEYS[1], ARGV[2]); return redis.call('GET', KEYS[1]) end
if mode == 'hash' then
  redis.call('HSET', KEYS[1], 'n', ARGV[2])
  return redis.call('HINCRBY', KEYS[1], 'n', 5)
end
if mode == 'error' then return redis.error_reply('conformance boom') end
return redis.error_reply('unknown mode')
`,
  local(db, keys, args) {
    const key = keys[0]!;
    switch (args[0]) {
      case 'nil':
        return null;
      case 'string':
        return 'hello';
      case 'float':
        return 3.7;
      case 'array':
        return [1, 'two', [3, 'four'], false, 'after-false'];
      case 'get':
        return db.get(key);
      case 'write':
        db.set(key, args[1]!);
        return db.get(key);
      case 'hash':
        db.hset(key, 'n', args[1]!);
        return db.hincrBy(key, 'n', 5);
      case 'error':
        return { err: 'conformance boom' };
      default:
        return { err: 'unknown mode' };
    }
  },
};

/**
 * Registers the store conformance suite: every {@link Store} implementation must pass it.
 *
 * `make` is called once for the main store and again for the isolation test; each call must
 * return a store with its own unique key prefix, so parallel runs and the two stores never
 * collide. The suite deletes the keys it wrote and closes every store it made.
 */
export function testStore(
  name: string,
  make: () => Promise<ConformanceSubject>,
  opts: ConformanceOptions = {},
): void {
  describe(`Store conformance: ${name}`, function () {
    let store: Store;
    let clock: ConformanceClock | undefined;
    const made: Store[] = [];

    async function fresh(): Promise<ConformanceSubject> {
      const subject = await make();
      made.push(subject.store);
      return subject;
    }

    /** Lets `ms` pass: moves the injected clock, or really waits. */
    async function pass(ms: number): Promise<void> {
      if (clock && !opts.realTime) clock.advance(ms);
      else await sleep(ms);
    }

    before(async function () {
      ({ store, clock } = await fresh());
    });

    after(async function () {
      for (const s of made) {
        try {
          const keys = await s.scan('*', 100_000);
          if (keys.length > 0) await s.del(...keys);
        } finally {
          await s.close();
        }
      }
    });

    it('reports its kind', function () {
      expect(store.kind).to.be.oneOf(['memory', 'redis']);
    });

    describe('strings', function () {
      it('get/set/del', async function () {
        expect(await store.get('str:missing')).to.equal(null);
        expect(await store.set('str:a', 'one')).to.equal(true);
        expect(await store.get('str:a')).to.equal('one');
        expect(await store.set('str:a', 'two')).to.equal(true);
        expect(await store.get('str:a')).to.equal('two');
        await store.set('str:b', '');
        expect(await store.get('str:b')).to.equal('');
        expect(await store.del('str:a', 'str:b', 'str:missing')).to.equal(2);
        expect(await store.get('str:a')).to.equal(null);
        expect(await store.del()).to.equal(0);
      });

      it('set nx only writes an absent key', async function () {
        expect(await store.set('nx:a', 'first', { nx: true })).to.equal(true);
        expect(await store.set('nx:a', 'second', { nx: true })).to.equal(false);
        expect(await store.get('nx:a')).to.equal('first');
        await store.del('nx:a');
        expect(await store.set('nx:a', 'third', { nx: true, ttlMs: 5000 })).to.equal(true);
        expect(await store.get('nx:a')).to.equal('third');
        expect(await store.pttl('nx:a')).to.be.within(1, 5000);
      });

      it('expires a key after its ttl', async function () {
        await store.set('ttl:a', 'v', { ttlMs: 80 });
        expect(await store.get('ttl:a')).to.equal('v');
        expect(await store.pttl('ttl:a')).to.be.within(1, 80);
        await pass(150);
        expect(await store.get('ttl:a')).to.equal(null);
        expect(await store.pttl('ttl:a')).to.equal(-2);
      });

      it('set nx succeeds once the previous value expired', async function () {
        await store.set('ttl:nx', 'old', { ttlMs: 80 });
        expect(await store.set('ttl:nx', 'new', { nx: true })).to.equal(false);
        await pass(150);
        expect(await store.set('ttl:nx', 'new', { nx: true })).to.equal(true);
        expect(await store.get('ttl:nx')).to.equal('new');
      });

      it('a plain set drops the previous ttl', async function () {
        await store.set('ttl:b', 'v', { ttlMs: 5000 });
        await store.set('ttl:b', 'w');
        expect(await store.pttl('ttl:b')).to.equal(-1);
      });
    });

    describe('counters and ttl', function () {
      it('incrBy creates, adds and subtracts', async function () {
        expect(await store.incrBy('ctr:a', 1)).to.equal(1);
        expect(await store.incrBy('ctr:a', 5)).to.equal(6);
        expect(await store.incrBy('ctr:a', -10)).to.equal(-4);
        expect(await store.get('ctr:a')).to.equal('-4');
        expect(await store.pttl('ctr:a')).to.equal(-1);
      });

      it('incrBy with ttl sets the expiry and restarts after it', async function () {
        expect(await store.incrBy('ctr:ttl', 2, 80)).to.equal(2);
        expect(await store.incrBy('ctr:ttl', 3, 80)).to.equal(5);
        expect(await store.pttl('ctr:ttl')).to.be.within(1, 80);
        await pass(150);
        expect(await store.get('ctr:ttl')).to.equal(null);
        expect(await store.incrBy('ctr:ttl', 1, 80)).to.equal(1);
      });

      it('incrBy rejects a non-integer value', async function () {
        await store.set('ctr:text', 'abc');
        let failed = false;
        await store.incrBy('ctr:text', 1).catch(() => (failed = true));
        expect(failed).to.equal(true);
        expect(await store.get('ctr:text')).to.equal('abc');
      });

      it('pttl is -2 for a missing key, -1 without ttl, else the remaining ms', async function () {
        expect(await store.pttl('pttl:missing')).to.equal(-2);
        await store.set('pttl:a', 'v');
        expect(await store.pttl('pttl:a')).to.equal(-1);
        expect(await store.expire('pttl:a', 10_000)).to.equal(true);
        expect(await store.pttl('pttl:a')).to.be.within(9_000, 10_000);
        expect(await store.expire('pttl:missing', 10_000)).to.equal(false);
        expect(await store.pttl('pttl:missing')).to.equal(-2);
      });

      it('expire makes an existing key vanish', async function () {
        await store.set('exp:a', 'v');
        expect(await store.expire('exp:a', 80)).to.equal(true);
        await pass(150);
        expect(await store.get('exp:a')).to.equal(null);
      });
    });

    describe('hashes', function () {
      it('hset merges fields and hgetall returns strings', async function () {
        expect(await store.hgetall('hash:missing')).to.deep.equal({});
        await store.hset('hash:a', { name: 'x', count: 3 });
        await store.hset('hash:a', { count: 4, extra: 'y' });
        expect(await store.hgetall('hash:a')).to.deep.equal({ name: 'x', count: '4', extra: 'y' });
        expect(await store.pttl('hash:a')).to.equal(-1);
      });

      it('hset with ttl expires the whole hash', async function () {
        await store.hset('hash:ttl', { a: 1 }, 80);
        expect(await store.pttl('hash:ttl')).to.be.within(1, 80);
        expect(await store.hgetall('hash:ttl')).to.deep.equal({ a: '1' });
        await pass(150);
        expect(await store.hgetall('hash:ttl')).to.deep.equal({});
        expect(await store.pttl('hash:ttl')).to.equal(-2);
      });

      it('rejects hash commands on a string key', async function () {
        await store.set('hash:str', 'v');
        let failed = false;
        await store.hset('hash:str', { a: 1 }).catch(() => (failed = true));
        expect(failed).to.equal(true);
        expect(await store.get('hash:str')).to.equal('v');
      });
    });

    describe('scan', function () {
      before(async function () {
        for (const k of ['scan:a1', 'scan:a2', 'scan:b1', 'scan:ab:x', 'other:a1']) await store.set(k, 'v');
        await store.hset('scan:h1', { f: 1 });
      });

      it('matches * and ? globs and returns logical keys', async function () {
        expect((await store.scan('scan:a*')).sort()).to.deep.equal(['scan:a1', 'scan:a2', 'scan:ab:x']);
        expect((await store.scan('scan:a?')).sort()).to.deep.equal(['scan:a1', 'scan:a2']);
        expect((await store.scan('scan:?1')).sort()).to.deep.equal(['scan:a1', 'scan:b1', 'scan:h1']);
        expect((await store.scan('*:a1')).sort()).to.deep.equal(['other:a1', 'scan:a1']);
        expect(await store.scan('scan:zzz*')).to.deep.equal([]);
      });

      it('honours the limit', async function () {
        const keys = await store.scan('scan:*', 2);
        expect(keys).to.have.length(2);
        for (const k of keys) expect(k.startsWith('scan:')).to.equal(true);
      });

      it('skips expired keys', async function () {
        await store.set('scanttl:gone', 'v', { ttlMs: 80 });
        await store.set('scanttl:kept', 'v');
        await pass(150);
        expect(await store.scan('scanttl:*')).to.deep.equal(['scanttl:kept']);
      });
    });

    describe('pub/sub', function () {
      it('delivers published messages to every subscriber', async function () {
        const a: string[] = [];
        const b: string[] = [];
        const offA = await store.subscribe('chan:1', (m) => a.push(m));
        const offB = await store.subscribe('chan:1', (m) => b.push(m));
        await store.publish('chan:1', 'hello');
        await store.publish('chan:1', 'world');
        await until(() => a.length === 2 && b.length === 2, 'two messages on each subscriber');
        expect(a).to.deep.equal(['hello', 'world']);
        expect(b).to.deep.equal(['hello', 'world']);
        await offA();
        await offB();
      });

      it('does not deliver other channels or after unsubscribe', async function () {
        const got: string[] = [];
        const keep: string[] = [];
        const off = await store.subscribe('chan:2', (m) => got.push(m));
        const offKeep = await store.subscribe('chan:2', (m) => keep.push(m));
        await store.publish('chan:other', 'nope');
        await store.publish('chan:2', 'first');
        await until(() => got.length === 1 && keep.length === 1, 'first message');
        await off();
        await store.publish('chan:2', 'second');
        await until(() => keep.length === 2, 'second message on the remaining subscriber');
        await offKeep();
        await store.publish('chan:2', 'third');
        await sleep(100);
        expect(got).to.deep.equal(['first']);
        expect(keep).to.deep.equal(['first', 'second']);
        // Unsubscribing twice is harmless.
        await off();
      });

      it('can subscribe again after the last unsubscribe', async function () {
        const got: string[] = [];
        const off1 = await store.subscribe('chan:3', () => undefined);
        await off1();
        const off2 = await store.subscribe('chan:3', (m) => got.push(m));
        await store.publish('chan:3', 'again');
        await until(() => got.length === 1, 'message after re-subscribe');
        await off2();
      });
    });

    it('ping answers true', async function () {
      expect(await store.ping()).to.equal(true);
    });

    describe('scripts', function () {
      it('a sliding-window counter admits exactly the limit under concurrency', async function () {
        const hit = store.defineScript<[number, number]>(slidingWindow);
        const now = 1_700_000_000_000;
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => hit(['sw:user1'], [now + (i % 5), 60_000, 10, `req-${i}`])),
        );
        const admitted = results.filter(([ok]) => ok === 1);
        expect(admitted).to.have.length(10);
        expect(admitted.map(([, count]) => count).sort((x, y) => x - y)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        for (const [ok, count] of results) if (ok === 0) expect(count).to.equal(10);
        // Another key is independent; a later window admits again.
        expect(await hit(['sw:user2'], [now, 60_000, 10, 'x'])).to.deep.equal([1, 1]);
        expect(await hit(['sw:user1'], [now + 60_005, 60_000, 10, 'later'])).to.deep.equal([1, 1]);
        expect(await store.pttl('sw:user1')).to.be.within(1, 60_000);
      });

      it('returns nil, strings, integers and nested arrays identically', async function () {
        const run = store.defineScript(shapes);
        expect(await run(['shape:k'], ['nil'])).to.equal(null);
        expect(await run(['shape:k'], ['string'])).to.equal('hello');
        expect(await run(['shape:k'], ['float'])).to.equal(3);
        expect(await run(['shape:k'], ['array'])).to.deep.equal([1, 'two', [3, 'four'], null, 'after-false']);
        expect(await run(['shape:k'], ['get'])).to.equal(null);
        expect(await run(['shape:k'], ['hash', 10])).to.equal(15);
        expect(await store.hgetall('shape:k')).to.deep.equal({ n: '15' });
      });

      it('sees the same keys as the store and receives args as strings', async function () {
        const run = store.defineScript(shapes);
        expect(await run(['shape:w'], ['write', 42])).to.equal('42');
        expect(await store.get('shape:w')).to.equal('42');
        await store.set('shape:r', 'from-store');
        expect(await run(['shape:r'], ['get'])).to.equal('from-store');
      });

      it('rejects on a script error', async function () {
        const run = store.defineScript(shapes);
        let message = '';
        await run(['shape:e'], ['error']).catch((e: unknown) => (message = String(e)));
        expect(message).to.contain('conformance boom');
      });

      it('defining the same name twice reuses it; a different body is refused', function () {
        expect(() => store.defineScript(slidingWindow)).not.to.throw();
        expect(() => store.defineScript({ ...slidingWindow, lua: 'return 1' })).to.throw(/already defined/);
      });
    });

    describe('isolation', function () {
      it('stores with different prefixes do not see each other', async function () {
        const { store: other } = await fresh();
        await store.set('iso:k', 'mine');
        await other.set('iso:k', 'theirs');
        await other.set('iso:only-other', 'x');
        expect(await store.get('iso:k')).to.equal('mine');
        expect(await other.get('iso:k')).to.equal('theirs');
        expect(await store.get('iso:only-other')).to.equal(null);
        expect(await store.scan('iso:*')).to.deep.equal(['iso:k']);
        expect((await other.scan('iso:*')).sort()).to.deep.equal(['iso:k', 'iso:only-other']);

        const mine: string[] = [];
        const theirs: string[] = [];
        const off1 = await store.subscribe('iso:chan', (m) => mine.push(m));
        const off2 = await other.subscribe('iso:chan', (m) => theirs.push(m));
        await other.publish('iso:chan', 'for-other');
        await until(() => theirs.length === 1, 'message on the other store');
        await sleep(50);
        expect(mine).to.deep.equal([]);
        await off1();
        await off2();
      });
    });
  });
}
