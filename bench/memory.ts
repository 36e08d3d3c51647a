/**
 * Memory of the hub process: RSS with many slow streams held open at once, and RSS drift over a
 * steady mixed load (with heap-after-GC at both ends, which separates a leak from allocator growth).
 */
import fs from 'node:fs';
import os from 'node:os';
import { HUB_KEY, requestFor } from './configs.ts';
import type { Hub } from './hub.ts';
import { holdStreams, runLoad, type LoadResult } from './load.ts';
import type { MockServer } from './mock-server.ts';
import type { MemoryResult, SoakResult, SuitePlan, Target } from './types.ts';

const MB = 1024 * 1024;
const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Resident set size of the hub, from /proc/<pid>/smaps_rollup (a walk of its page tables). The
 * VmRSS of /proc/<pid>/status that `child.rss()` reads comes from the kernel's approximate per-CPU
 * counters and was seen 30 MB above the real figure for seconds after a GC returned memory — the
 * size of the effect being measured. Falls back to `child.rss()` where smaps_rollup is missing.
 */
export function hubRss(hub: Pick<Hub, 'child'>): number {
  try {
    const m = /^Rss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${hub.child.pid}/smaps_rollup`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux, or the process is gone */
  }
  return hub.child.rss();
}

/** Least-squares slope of [seconds, MB] points, in MB per minute. */
export function slopePerMin(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : Math.round((num / den) * 60 * 100) / 100;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Hold `opts.streams` slow streams open against `hub` and record its peak RSS. */
export async function runMemory(opts: NonNullable<SuitePlan['memory']>, mock: MockServer, hub: Hub, log: (l: string) => void): Promise<MemoryResult> {
  const base = await hub.memory(true);
  const baselineRss = hubRss(hub) || base.rss;
  let peakRss = baselineRss;
  let peakOpenSeen = 0;
  let peakHeap = base.heapUsed;
  const before = await mock.requestCounts();
  await mock.setChunkDelay(opts.chunkDelayMs);
  let held;
  try {
    const t: Target = { variant: 'hub-full', url: hub.url, headers: { 'x-api-key': HUB_KEY } };
    held = await holdStreams(requestFor(t, true, opts.streams), opts.streams, 100, (open) => {
      peakRss = Math.max(peakRss, hubRss(hub));
      if (open > peakOpenSeen) {
        peakOpenSeen = open;
        hub.memory(false).then(
          (m) => (peakHeap = Math.max(peakHeap, m.heapUsed)),
          () => {},
        );
      }
    });
  } finally {
    await mock.setChunkDelay(0);
  }
  const after = await mock.requestCounts();
  const r: MemoryResult = {
    perUpstream: after.map((n, i) => n - (before[i] ?? 0)),
    streams: opts.streams,
    chunkDelayMs: opts.chunkDelayMs,
    peakOpen: held.peakOpen,
    completed: held.completed,
    errors: held.errors,
    firstError: held.firstError,
    baselineRssMB: round1(baselineRss / MB),
    peakRssMB: round1(peakRss / MB),
    peakHeapMB: round1(peakHeap / MB),
    perStreamKB: held.peakOpen ? round1((peakRss - baselineRss) / 1024 / held.peakOpen) : 0,
  };
  log(`memory: ${r.streams} streams (${r.peakOpen} open at peak, ${r.completed} completed, ${r.errors} errors, per upstream ${r.perUpstream.join('/')}) RSS ${r.baselineRssMB} → ${r.peakRssMB} MB, heap ${r.peakHeapMB} MB${r.firstError ? ` — ${r.firstError}` : ''}`);
  return r;
}

/** Steady JSON + stream load for `opts.durationMs`, sampling the hub's RSS. */
export async function runSoak(opts: NonNullable<SuitePlan['soak']>, hub: Hub, t: Target, log: (l: string) => void): Promise<SoakResult> {
  const heapStart = (await hub.memory(true)).heapUsed;
  const t0 = performance.now();
  const sample = (): [number, number] => [round1((performance.now() - t0) / 1000), round1(hubRss(hub) / MB)];
  const rss: [number, number][] = [sample()];
  const timer = setInterval(() => rss.push(sample()), opts.sampleEveryMs);
  const half = Math.max(1, Math.floor(opts.concurrency / 2));
  const load1 = os.loadavg()[0]!;
  let results: LoadResult[];
  try {
    results = await Promise.all([
      runLoad({ ...requestFor(t, false, half), concurrency: half, warmupMs: 0, durationMs: opts.durationMs }),
      runLoad({ ...requestFor(t, true, half), concurrency: half, warmupMs: 0, durationMs: opts.durationMs }),
    ]);
  } finally {
    clearInterval(timer);
  }
  const loaded = rss.slice(1).map((p) => p[1]);
  const heapEnd = (await hub.memory(true)).heapUsed;
  rss.push(sample());
  const third = Math.max(1, Math.floor(loaded.length / 3));
  const r: SoakResult = {
    durationMs: opts.durationMs,
    concurrency: opts.concurrency,
    rss,
    heapAfterGcStartMB: round1(heapStart / MB),
    heapAfterGcEndMB: round1(heapEnd / MB),
    rssAfterGcStartMB: rss[0]![1],
    rssAfterGcEndMB: rss.at(-1)![1],
    rssLoadedFirstThirdMB: median(loaded.slice(0, third)),
    rssLoadedLastThirdMB: median(loaded.slice(-third)),
    rssMaxMB: Math.max(...loaded, rss[0]![1]),
    rssSlopeMBPerMin: slopePerMin(rss.slice(1, -1).filter(([s]) => s >= opts.durationMs / 2000)),
    rows: results.map((lr) => ({ section: 'soak' as const, variant: t.variant, load1, ...lr })),
  };
  log(
    `soak: ${opts.durationMs / 1000}s JSON ${results[0]!.rps}/s + streams ${results[1]!.rps}/s; after GC: RSS ${r.rssAfterGcStartMB} → ${r.rssAfterGcEndMB} MB, ` +
      `heap ${r.heapAfterGcStartMB} → ${r.heapAfterGcEndMB} MB; under load: RSS median ${r.rssLoadedFirstThirdMB} (first third) → ${r.rssLoadedLastThirdMB} MB (last third), max ${r.rssMaxMB}`,
  );
  return r;
}
