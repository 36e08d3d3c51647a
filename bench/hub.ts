/**
 * The gateway under test, in its own process: `createGateway` from core/src/app.ts with a given
 * YAML, a fresh PostgreSQL database and its own Redis key prefix (the CLI has no prefix setting,
 * hence this entry instead of `cch start`). Logs at warn, as a production hub would.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import { createGateway, createRedisStore } from '@cch/core';
import type { TestDatabase } from '@cch/core/testing';
import { forkTs, failChild, isMain, serveChild, type Child } from './child.ts';

export interface HubOptions {
  /** A label for errors and profile file names, e.g. `hub-full`. */
  name: string;
  yaml: string;
  /** Redis URL; without it the hub uses its in-process memory store. */
  redisUrl?: string;
}

/** A running hub process and what it owns. */
export interface Hub {
  name: string;
  url: string;
  child: Child;
  /** Plugins the hub actually loaded, in load order. */
  plugins: string[];
  /** Heap and RSS of the hub, optionally after a full GC. */
  memory(gc?: boolean): Promise<NodeJS.MemoryUsage>;
  /** Start sampling the hub's main thread with the V8 CPU profiler. */
  startProfile(): Promise<void>;
  /** Stop sampling and write the profile (Chrome DevTools `.cpuprofile` JSON) to `file`. */
  stopProfile(file: string): Promise<void>;
  /** Start V8's sampling heap profiler (garbage included), to see what allocates. */
  startHeapSampling(opts?: { promotedOnly?: boolean }): Promise<void>;
  /** Stop it and write the profile (`.heapprofile` JSON) to `file`. */
  stopHeapSampling(file: string): Promise<void>;
  /** Write a V8 heap snapshot of the hub (after a full GC) to `file`; resolves with its path. */
  heapSnapshot(file: string): Promise<string>;
  /**
   * The hub's event-loop delay since the last call (µs percentiles, from `monitorEventLoopDelay`):
   * how long ready work waited for the loop — pauses that show up in every request's latency.
   */
  loopDelay(): Promise<{ p50Us: number; p99Us: number; maxUs: number }>;
  /** Stop the hub, drop its database and delete its Redis keys. */
  stop(): Promise<void>;
}

/** Start a hub with `opts.yaml` on a fresh database (on the server named by DSN). */
let bundled: Promise<string> | undefined;
/**
 * The hub process runs this file compiled like `cch start` runs the gateway (core/scripts/bundle.ts:
 * plain JavaScript, no TypeScript loader and its second V8 isolate), built once per bench run
 * into a folder of its own. BENCH_HUB_FROM_SOURCE=1 runs it under tsx instead.
 */
function hubBundle(): Promise<string> {
  bundled ??= (async () => {
    const { bundle } = await import('../core/scripts/bundle.ts');
    const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '.build');
    fs.mkdirSync(root, { recursive: true });
    const outDir = fs.mkdtempSync(path.join(root, 'hub-'));
    process.once('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
    return bundle({ entry: fileURLToPath(import.meta.url), outDir, name: 'hub' });
  })();
  return bundled;
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  // Imported here, in the parent only: the testing entry pulls in mocha and chai, which the hub
  // process (this same file) must not carry into its measured memory.
  const { createTestDatabase } = await import('@cch/core/testing');
  const database: TestDatabase = await createTestDatabase('bench');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cch-bench-${opts.name}-`));
  const configFile = path.join(dir, 'gateway.yaml');
  fs.writeFileSync(configFile, opts.yaml);
  const storePrefix = `cch-bench-${crypto.randomBytes(4).toString('hex')}:`;
  // BENCH_HUB_NODE_ARGS: extra node/V8 flags for the hub, to try e.g. GC settings.
  const nodeArgs = ['--expose-gc', ...(process.env.BENCH_HUB_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
  let child: Child;
  try {
    const fromSource = process.env.BENCH_HUB_FROM_SOURCE === '1';
    child = await forkTs(fromSource ? fileURLToPath(import.meta.url) : await hubBundle(), {
      plain: !fromSource,
      name: opts.name,
      nodeArgs,
      env: {
        DSN: database.dsn,
        REDIS_URL: opts.redisUrl ?? '',
        CCH_CONFIG: configFile,
        CCH_DATA_DIR: dir,
        CCH_SECRET: 'bench-secret-0123456789abcdef0123456789',
        ADMIN_TOKEN: 'bench-admin-token',
        ENABLE_SECURE_COOKIES: 'false',
        APP_PORT: '0',
        LOG_LEVEL: process.env.BENCH_HUB_LOG_LEVEL ?? 'warn',
        BENCH_STORE_PREFIX: storePrefix,
      },
    });
  } catch (err) {
    await database.drop().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<void> | undefined;
  return {
    name: opts.name,
    url: child.info.url as string,
    child,
    plugins: child.info.plugins as string[],
    memory: (gc = false) => child.call<NodeJS.MemoryUsage>('memory', { gc }),
    startProfile: () => child.call('profileStart'),
    stopProfile: (file) => child.call('profileStop', { file }),
    heapSnapshot: (file) => child.call<string>('heapSnapshot', { file }),
    startHeapSampling: (o = {}) => child.call('heapSamplingStart', { promotedOnly: o.promotedOnly === true }),
    stopHeapSampling: (file) => child.call('heapSamplingStop', { file }),
    loopDelay: () => child.call<{ p50Us: number; p99Us: number; maxUs: number }>('loopDelay'),
    stop() {
      stopped ??= (async () => {
        await child.stop();
        await database.drop().catch(() => {});
        if (opts.redisUrl) await clearPrefix(opts.redisUrl, storePrefix).catch(() => {});
        fs.rmSync(dir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

async function clearPrefix(url: string, prefix: string): Promise<void> {
  const store = await createRedisStore({ url, prefix });
  try {
    const keys = await store.scan('*', 1_000_000);
    for (let i = 0; i < keys.length; i += 500) await store.del(...keys.slice(i, i + 500));
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const gw = await createGateway({ storePrefix: process.env.BENCH_STORE_PREFIX });
  const { url } = await gw.listen(0, '127.0.0.1');
  const gc = (globalThis as { gc?: () => void }).gc;
  // The inspector's profiler, on demand, so a profile covers the load and not the boot.
  let session: Session | undefined;
  let heapSession: Session | undefined;
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  serveChild(
    { url, plugins: gw.plugins.map((p) => p.name) },
    {
      loopDelay: () => {
        const out = { p50Us: Math.round(loop.percentile(50) / 1000), p99Us: Math.round(loop.percentile(99) / 1000), maxUs: Math.round(loop.max / 1000) };
        loop.reset();
        return out;
      },
      memory: (msg) => {
        if (msg.gc && gc) {
          gc();
          gc();
        }
        return process.memoryUsage();
      },
      heapSnapshot: (msg) => {
        if (gc) {
          gc();
          gc();
        }
        return v8.writeHeapSnapshot(String(msg.file));
      },
      heapSamplingStart: async (msg) => {
        heapSession = new Session();
        heapSession.connect();
        await heapSession.post('HeapProfiler.enable');
        // promotedOnly: leave out what died young, i.e. keep what lived long enough to reach the old generation.
        await heapSession.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: msg.promotedOnly !== true });
      },
      heapSamplingStop: async (msg) => {
        if (!heapSession) throw new Error('no heap sampling running');
        const { profile } = await heapSession.post('HeapProfiler.stopSampling');
        fs.writeFileSync(String(msg.file), JSON.stringify(profile));
        heapSession.disconnect();
        heapSession = undefined;
      },
      profileStart: async () => {
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: 200 });
        await session.post('Profiler.start');
      },
      profileStop: async (msg) => {
        if (!session) throw new Error('no profile running');
        const { profile } = await session.post('Profiler.stop');
        fs.writeFileSync(String(msg.file), JSON.stringify(profile));
        session.disconnect();
        session = undefined;
      },
    },
    () => gw.close(),
  );
}

if (isMain(import.meta.url)) main().catch(failChild);
