/**
 * The mock upstream (core/src/testing/mock-upstream.ts) in its own process, recording off.
 * Several instances on distinct ports stand for distinct providers, so each gets its own
 * connection pool in the gateway, as real providers would. The parent changes their live
 * settings (chunk delay) between scenarios over IPC.
 */
import { fileURLToPath } from 'node:url';
import { createMockUpstream, type MockUpstream } from '@cch/core/testing';
import { forkTs, failChild, isMain, serveChild, type Child } from './child.ts';

/** Stream length of every benchmark stream: 50 text deltas (plus the 6 framing events). */
export const STREAM_EVENTS = 50;

/** Reply text: long enough that each of the 50 deltas carries a few words. */
const TEXT = 'The quick brown fox jumps over the lazy dog while the gateway counts tokens. '.repeat(6);

/** A running mock process. */
export interface MockServer {
  /** Base URL of each instance (the first is the one direct and single-provider runs use). */
  urls: string[];
  child: Child;
  /** Delay between stream events on every instance (0 = the whole stream in one write). */
  setChunkDelay(ms: number): Promise<void>;
  /** Requests each instance has received so far. */
  requestCounts(): Promise<number[]>;
  stop(): Promise<void>;
}

/** Start `instances` mock upstreams in one child process. */
export async function startMockServer(instances = 3): Promise<MockServer> {
  const child = await forkTs(fileURLToPath(import.meta.url), { env: { BENCH_MOCK_INSTANCES: String(instances) }, name: 'mock upstream' });
  return {
    urls: child.info.urls as string[],
    child,
    setChunkDelay: (ms) => child.call('settings', { chunkDelayMs: ms }).then(() => {}),
    requestCounts: () => child.call<{ requests: number[] }>('stats').then((s) => s.requests),
    stop: () => child.stop(),
  };
}

async function main(): Promise<void> {
  const n = Math.max(1, Number(process.env.BENCH_MOCK_INSTANCES ?? 1));
  const mocks: MockUpstream[] = [];
  for (let i = 0; i < n; i++) mocks.push(await createMockUpstream({ record: false, events: STREAM_EVENTS, text: TEXT }));
  serveChild(
    { urls: mocks.map((m) => m.url) },
    {
      settings: (msg) => {
        for (const m of mocks) m.settings.chunkDelayMs = Number(msg.chunkDelayMs ?? 0);
      },
      stats: () => ({ requests: mocks.map((m) => m.requestCount) }),
    },
    async () => {
      await Promise.all(mocks.map((m) => m.close()));
    },
  );
}

if (isMain(import.meta.url)) main().catch(failChild);
