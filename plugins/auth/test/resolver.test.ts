import { expect } from 'chai';
import { ApiKeyEntity, GroupEntity, UserEntity, createLogger, createMemoryStore, hashKey, type Database, type Store } from '@cch/core';
import { STALE_MS, createKeyResolver } from '../src/resolver.ts';

const KEY = 'hub_sk_ResolverTestKey000000000000000000000001';
const TTL = 5_000;
const NEG_TTL = 2_000;

interface Row {
  enabled: boolean;
}

/**
 * A database that answers the resolver's three lookups from memory, counts key lookups, and can
 * hold them until `release()` (so a test sees requests arrive while one is in flight).
 */
function fakeDb() {
  const key: Row & Record<string, unknown> = { id: 7, userId: 3, name: 'laptop', keyHash: hashKey(KEY), enabled: true, limits: {} };
  const user: Row & Record<string, unknown> = { id: 3, name: 'dora', enabled: true, groupName: null, limits: {} };
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let failure: Error | undefined;
  const state = {
    key,
    user,
    lookups: 0,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release() {
      open?.();
      gate = undefined;
    },
    fail(err: Error | undefined) {
      failure = err;
    },
  };
  const em = {
    async findOne(entity: unknown, where: Record<string, unknown>) {
      if (entity === ApiKeyEntity) {
        state.lookups++;
        // The row as it was when the query ran, whatever changes while it is held.
        const row = where.keyHash === key.keyHash ? { ...key } : null;
        if (gate) await gate;
        if (failure) throw failure;
        return row;
      }
      if (entity === UserEntity) return where.id === user.id ? { ...user } : null;
      if (entity === GroupEntity) return null;
      throw new Error('unexpected entity');
    },
    async nativeUpdate() {
      return 1;
    },
  };
  const db = { em: () => em } as unknown as Database;
  return { db, state };
}

describe('auth: key resolver cache', function () {
  let store: Store;
  let now: number;
  const clock = () => now;
  const logger = createLogger({ level: 'silent' });

  beforeEach(function () {
    store = createMemoryStore();
    now = 1_000_000;
  });

  const resolver = (db: Database) => createKeyResolver(db, store, { cacheTtlMs: TTL, negativeCacheTtlMs: NEG_TTL }, logger, clock);
  const settle = () => new Promise((r) => setImmediate(r));

  it('runs one lookup for concurrent misses of the same key', async function () {
    const { db, state } = fakeDb();
    const r = resolver(db);
    state.hold();
    const all = Array.from({ length: 50 }, () => r.resolve(KEY));
    await settle();
    state.release();
    const results = await Promise.all(all);
    expect(state.lookups).to.equal(1);
    for (const res of results) expect(res).to.deep.include({ ok: true });
    // And the answer is cached.
    await r.resolve(KEY);
    expect(state.lookups).to.equal(1);
  });

  it('answers a valid key from the cache past its TTL while one lookup refreshes it', async function () {
    const { db, state } = fakeDb();
    const r = resolver(db);
    expect(await r.resolve(KEY)).to.deep.include({ ok: true });
    state.key.enabled = false;
    now += TTL + 1;
    state.hold();
    const during = await Promise.all(Array.from({ length: 20 }, () => r.resolve(KEY)));
    for (const res of during) expect(res).to.deep.include({ ok: true });
    expect(state.lookups).to.equal(2);
    state.release();
    await settle();
    expect(await r.resolve(KEY)).to.deep.equal({ ok: false, reason: 'this API key is disabled' });
    expect(state.lookups).to.equal(2);
  });

  it('waits for the lookup once an entry is too stale', async function () {
    const { db, state } = fakeDb();
    const r = resolver(db);
    await r.resolve(KEY);
    state.key.enabled = false;
    now += TTL + STALE_MS;
    expect(await r.resolve(KEY)).to.deep.equal({ ok: false, reason: 'this API key is disabled' });
  });

  it('never answers an unknown or refused key from an expired entry', async function () {
    const { db, state } = fakeDb();
    const r = resolver(db);
    state.key.enabled = false;
    expect(await r.resolve(KEY)).to.deep.include({ ok: false });
    state.key.enabled = true;
    now += NEG_TTL + 1;
    expect(await r.resolve(KEY)).to.deep.include({ ok: true });
    expect(state.lookups).to.equal(2);
  });

  it('keeps the cached answer when a refresh fails, and fails a cold lookup', async function () {
    const { db, state } = fakeDb();
    const r = resolver(db);
    await r.resolve(KEY);
    state.fail(new Error('database down'));
    now += TTL + 1;
    expect(await r.resolve(KEY)).to.deep.include({ ok: true });
    await settle();
    expect(await r.resolve(KEY)).to.deep.include({ ok: true });
    await r.invalidate();
    let err: unknown;
    await r.resolve(KEY).catch((e: unknown) => (err = e));
    expect((err as Error)?.message).to.equal('database down');
    state.fail(undefined);
    expect(await r.resolve(KEY)).to.deep.include({ ok: true });
  });

  it('does not cache a lookup that began before an invalidation', async function () {
    const { db, state } = fakeDb();
    const r = resolver(db);
    state.hold();
    const first = r.resolve(KEY);
    await settle();
    await r.invalidate();
    state.key.enabled = false;
    state.release();
    // The request already waiting gets the answer of the lookup it joined…
    expect(await first).to.deep.include({ ok: true });
    // …but that answer was not cached: the next request looks the key up again.
    expect(await r.resolve(KEY)).to.deep.equal({ ok: false, reason: 'this API key is disabled' });
    expect(state.lookups).to.equal(2);
  });

  it('drops the cache when the configuration changes on any instance', async function () {
    const { db, state } = fakeDb();
    const r = resolver(db);
    await r.start();
    try {
      await r.resolve(KEY);
      state.key.enabled = false;
      await store.publish('config:changed', '1');
      await settle();
      expect(await r.resolve(KEY)).to.deep.equal({ ok: false, reason: 'this API key is disabled' });
    } finally {
      await r.stop();
    }
  });
});
