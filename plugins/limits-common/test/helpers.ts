/**
 * Test helpers shared by the limit plugins: a manual clock and the two stores every limiter
 * conformance suite runs against (memory always; Redis when reachable — or a failing case
 * when CCH_REQUIRE_REDIS=1 and it is not).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { createMemoryStore, createRedisStore, createLogger, type Store } from '@cch/core';
import { createFailoverStore, type FailoverStore } from '../src/index.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUIRE_REDIS = process.env.CCH_REQUIRE_REDIS === '1';

export interface ManualClock {
  now(): number;
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start: number): ManualClock {
  let t = start;
  return {
    now: () => t,
    set: (ms) => void (t = ms),
    advance: (ms) => void (t += ms),
  };
}

export const newPrefix = (): string => `cch-test-${randomBytes(6).toString('hex')}:`;

export const silentLogger = createLogger({ level: process.env.CCH_TEST_LOG ?? 'silent' });

/** A store under test, wrapped the way the plugins use it. */
export interface StoreSubject {
  store: FailoverStore;
  raw: Store;
  close(): Promise<void>;
}

export interface StoreCase {
  name: 'memory' | 'redis';
  /** Unset when Redis is required but unreachable: the suite must fail, not skip. */
  problem?: string;
  make(clock: ManualClock): Promise<StoreSubject>;
}

async function deletePrefix(store: Store): Promise<void> {
  const keys = await store.scan('*', 100_000);
  for (let i = 0; i < keys.length; i += 500) await store.del(...keys.slice(i, i + 500));
}

async function probeRedis(): Promise<string | undefined> {
  try {
    const s = await createRedisStore({ url: REDIS_URL, prefix: newPrefix() });
    await s.close();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const redisProblem = await probeRedis();
if (redisProblem && !REQUIRE_REDIS) console.warn(`limit plugins: Redis cases skipped: no Redis at ${REDIS_URL} (${redisProblem})`);

/** The stores a limiter suite runs against. */
export function storeCases(): StoreCase[] {
  const cases: StoreCase[] = [
    {
      name: 'memory',
      async make(clock) {
        const raw = createMemoryStore({ clock, prefix: newPrefix() });
        const store = createFailoverStore({ shared: raw, logger: silentLogger, clock });
        return { store, raw, close: async () => (await store.close(), await raw.close()) };
      },
    },
  ];
  if (!redisProblem || REQUIRE_REDIS) {
    cases.push({
      name: 'redis',
      problem: redisProblem ? `Redis is required (CCH_REQUIRE_REDIS=1) but unreachable at ${REDIS_URL}: ${redisProblem}` : undefined,
      async make(clock) {
        const raw = await createRedisStore({ url: REDIS_URL, prefix: newPrefix() });
        const store = createFailoverStore({ shared: raw, logger: silentLogger, clock });
        return {
          store,
          raw,
          async close() {
            await store.close();
            await deletePrefix(raw);
            await raw.close();
          },
        };
      },
    });
  }
  return cases;
}

/** True when Redis tests can run. */
export const redisAvailable = (): boolean => !redisProblem;

/**
 * A TCP proxy in front of Redis that a test can cut and restore, to see what the limit
 * plugins do when the store goes away (without mocking Redis).
 */
export interface CuttableProxy {
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function createCuttableProxy(target = REDIS_URL): Promise<CuttableProxy> {
  const t = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(t.port || 6379), t.hostname);
    sockets.add(client);
    sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  const listen = (port: number) => new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', () => resolve()));
  await listen(0);
  const port = (server.address() as net.AddressInfo).port;
  let open = true;
  const cut = async () => {
    if (!open) return;
    open = false;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of sockets) s.destroy();
    sockets.clear();
    await closed;
  };
  return {
    url: `redis://127.0.0.1:${port}${t.pathname === '/' ? '' : t.pathname}`,
    cut,
    async restore() {
      if (open) return;
      await listen(port);
      open = true;
    },
    close: cut,
  };
}
