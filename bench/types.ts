/** The shapes of a benchmark run: its plan, its targets and its results (what results/*.json hold). */
import type { LoadResult } from './load.ts';
import type { ProfileSummary } from './profile.ts';

export type Variant = 'direct' | 'bare' | 'hub-min' | 'hub-full' | 'portkey' | 'hub-translate' | 'hub-ladder';
export type Section = 'json' | 'stream' | 'paced' | 'translate' | 'soak' | 'ladder';

/** Something to send load to. */
export interface Target {
  variant: Variant;
  url: string;
  /** Headers beyond the Anthropic client's own (the hub key, Portkey's routing headers). */
  headers: Record<string, string>;
}

export interface SuitePlan {
  name: 'full' | 'smoke';
  warmupMs: number;
  durationMs: number;
  jsonConcurrency: number[];
  streamConcurrency: number[];
  /** Streams with a delay between events, to measure the gap the gateway adds per chunk. */
  paced?: { concurrency: number; chunkDelayMs: number };
  /** Anthropic client → OpenAI provider vs same format, at this concurrency. */
  translate?: { concurrency: number };
  /** Streams held open at once on the everything-on hub, each event `chunkDelayMs` apart. */
  memory?: { streams: number; chunkDelayMs: number };
  /** Steady mixed load on the everything-on hub, RSS sampled every `sampleEveryMs`. */
  soak?: { durationMs: number; sampleEveryMs: number; concurrency: number };
  /**
   * Cost of each plugin alone: a hub with auth + provider-claude + one plugin per step, JSON at
   * each concurrency, and Redis commands per request. `maxSteps` limits the plugins tried (the
   * base step always runs); a last step `all` is the everything-on set alone.
   */
  ladder?: { warmupMs: number; durationMs: number; concurrency: number[]; maxSteps?: number };
  portkey: boolean;
  /** Redis for the hubs (limits and breaker state); without it they use the memory store. */
  redisUrl?: string;
  /** CPU-profile both hubs during the JSON and stream sections; `.cpuprofile` files go here. */
  cpuProfDir?: string;
  log?: (line: string) => void;
}

export interface Row extends LoadResult {
  section: Section;
  variant: Variant;
  /** What distinguishes rows of one variant (the ladder's added plugin). */
  label?: string;
  /** 1-minute load average of the machine when the point started (others' work skews numbers). */
  load1: number;
  /** Redis commands the server ran per request (ladder only; inner Lua calls included), and its CPU µs per request. */
  redis?: { total: number; top: [string, number][]; cpuUs?: number };
}

export interface MemoryResult {
  streams: number;
  chunkDelayMs: number;
  peakOpen: number;
  /** Requests each mock instance (provider) received during the test. */
  perUpstream: number[];
  completed: number;
  errors: number;
  firstError?: string;
  baselineRssMB: number;
  peakRssMB: number;
  /** Heap used (no GC) when the most streams were open. */
  peakHeapMB: number;
  perStreamKB: number;
}

export interface SoakResult {
  durationMs: number;
  concurrency: number;
  /** [seconds since start, RSS MB]: first and last taken right after a forced GC, the rest under load. */
  rss: [number, number][];
  heapAfterGcStartMB: number;
  heapAfterGcEndMB: number;
  /** RSS right after a forced GC before and after the load: growth here is retained memory. */
  rssAfterGcStartMB: number;
  rssAfterGcEndMB: number;
  /** Median RSS under load over the first and the last third of the run. */
  rssLoadedFirstThirdMB: number;
  rssLoadedLastThirdMB: number;
  rssMaxMB: number;
  /** Least-squares slope of loaded RSS over the second half (noisy: V8 grows and shrinks its heap). */
  rssSlopeMBPerMin: number;
  rows: Row[];
}

export interface SuiteResult {
  plan: Omit<SuitePlan, 'log'>;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memGB: number; node: string; platform: string; commit: string; load1AtStart: number; load1AtEnd: number };
  store: 'redis' | 'memory';
  plugins: { full: string[]; missing: string[]; minimal: string[] };
  portkey: { status: 'ok' | 'skipped' | 'unavailable'; version?: string; note?: string };
  translate: { status: 'ok' | 'skipped' | 'unavailable'; note?: string };
  rows: Row[];
  /** Ladder steps that could not run (a plugin that needs another, say). */
  ladderNotes?: string[];
  memory?: MemoryResult;
  soak?: SoakResult;
  /** Hottest functions of each profiled hub (only with `cpuProfDir`). */
  profiles?: Record<string, { file: string; summary: ProfileSummary }>;
}
