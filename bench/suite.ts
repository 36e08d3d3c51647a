/**
 * One benchmark run: start every system under test in its own process, measure each scenario
 * against each of them back to back (so ratios compare like with like), and return the numbers.
 * `npm run bench` and `npm run bench:smoke` differ only in the plan they pass.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startMockServer, type MockServer } from './mock-server.ts';
import { startBareProxy, type BareProxy } from './bare-proxy.ts';
import { startHub, type Hub } from './hub.ts';
import { startPortkey, locatePortkey, type Portkey } from './portkey.ts';
import { runLoad, probe } from './load.ts';
import { FULL_PLUGINS, HUB_KEY, PROVIDER_KEY, fullYaml, minimalYaml, presentPlugins, requestFor, translateYaml } from './configs.ts';
import { REPO_ROOT } from './child.ts';
import { summarizeProfile, type CpuProfile } from './profile.ts';
import { runMemory, runSoak } from './memory.ts';
import { runLadder } from './ladder.ts';
import type { Row, Section, SuitePlan, SuiteResult, Target } from './types.ts';

export type { Row, Section, SuitePlan, SuiteResult, Target, Variant } from './types.ts';

function machine(): SuiteResult['machine'] {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    /* not a git checkout */
  }
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memGB: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    commit,
    load1AtStart: Math.round(os.loadavg()[0]! * 100) / 100,
    load1AtEnd: 0,
  };
}

/** Check a target answers both request shapes; returns an error text, or undefined when fine. */
async function check(t: Target): Promise<string | undefined> {
  for (const stream of [false, true]) {
    const r = await probe(requestFor(t, stream)).catch((err: Error) => ({ status: 0, text: err.message }));
    if (r.status !== 200) return `${stream ? 'stream' : 'JSON'} probe answered ${r.status}: ${r.text.slice(0, 300)}`;
    if (stream && !r.text.includes('message_stop')) return `stream probe did not end with message_stop: ${r.text.slice(-200)}`;
  }
  return undefined;
}

/** Run the whole plan; always stops every process it started. */
export async function runSuite(plan: SuitePlan): Promise<SuiteResult> {
  const log = plan.log ?? (() => {});
  const startedAt = new Date().toISOString();
  const { included, missing } = presentPlugins(FULL_PLUGINS);
  log(`everything-on hub plugins: ${included.join(', ')}${missing.length ? ` (not present yet: ${missing.join(', ')})` : ''}`);

  let mock: MockServer | undefined;
  let bare: BareProxy | undefined;
  let portkey: Portkey | undefined;
  const hubs: Hub[] = [];
  const result: SuiteResult = {
    plan: { ...plan, log: undefined } as Omit<SuitePlan, 'log'>,
    startedAt,
    finishedAt: '',
    machine: machine(),
    store: plan.redisUrl ? 'redis' : 'memory',
    plugins: { full: included, missing, minimal: ['auth', 'provider-claude'] },
    portkey: { status: 'skipped' },
    translate: { status: 'skipped' },
    rows: [],
  };

  try {
    const tStart = performance.now();
    mock = await startMockServer(3);
    const upstream = mock.urls[0]!;
    const translatePlugins = presentPlugins(['auth', 'provider-claude', 'provider-openai']);
    const wantTranslate = plan.translate !== undefined && translatePlugins.missing.length === 0;
    const started = await Promise.allSettled([
      startBareProxy(upstream, PROVIDER_KEY),
      startHub({ name: 'hub-min', yaml: minimalYaml(upstream), redisUrl: plan.redisUrl }),
      startHub({ name: 'hub-full', yaml: fullYaml(mock.urls, included), redisUrl: plan.redisUrl }),
      // Started with the others (boot is most of a smoke run), but allowed to fail: translation is optional.
      wantTranslate ? startHub({ name: 'hub-translate', yaml: translateYaml(upstream, translatePlugins.included), redisUrl: plan.redisUrl }) : Promise.resolve(undefined),
    ] as const);
    const [bareS, minS, fullS, translateS] = started;
    if (bareS.status === 'fulfilled') bare = bareS.value;
    for (const s of [minS, fullS, translateS]) if (s.status === 'fulfilled' && s.value) hubs.push(s.value);
    for (const s of [bareS, minS, fullS]) if (s.status === 'rejected') throw s.reason;
    const hubMin = (minS as PromiseFulfilledResult<Hub>).value;
    const hubFull = (fullS as PromiseFulfilledResult<Hub>).value;
    const hubTranslate = translateS.status === 'fulfilled' ? translateS.value : (translateS.reason as Error);
    log(`started in ${((performance.now() - tStart) / 1000).toFixed(1)} s; hub-min [${hubMin.plugins.join(', ')}], hub-full [${hubFull.plugins.join(', ')}]`);

    const targets: Target[] = [
      { variant: 'direct', url: upstream, headers: {} },
      { variant: 'bare', url: bare!.url, headers: {} },
      { variant: 'hub-min', url: hubMin.url, headers: { 'x-api-key': HUB_KEY } },
      { variant: 'hub-full', url: hubFull.url, headers: { 'x-api-key': HUB_KEY } },
    ];
    for (const t of targets) {
      const problem = await check(t);
      if (problem) throw new Error(`${t.variant}: ${problem}`);
    }

    if (plan.portkey) {
      const where = locatePortkey();
      if ('reason' in where) result.portkey = { status: 'unavailable', note: where.reason };
      else {
        try {
          portkey = await startPortkey();
          const t: Target = { variant: 'portkey', url: portkey.url, headers: portkey.headersFor(upstream, PROVIDER_KEY) };
          const problem = await check(t);
          if (problem) throw new Error(problem);
          targets.push(t);
          result.portkey = { status: 'ok', version: portkey.version };
        } catch (err) {
          result.portkey = { status: 'unavailable', version: where.version, note: (err as Error).message.slice(0, 500) };
          await portkey?.stop();
          portkey = undefined;
        }
      }
      log(`portkey: ${result.portkey.status}${result.portkey.version ? ` ${result.portkey.version}` : ''}${result.portkey.note ? ` — ${result.portkey.note}` : ''}`);
    }

    const measure = async (section: Section, t: Target, stream: boolean, concurrency: number) => {
      const load1 = os.loadavg()[0]!;
      const r = await runLoad({ ...requestFor(t, stream, concurrency), concurrency, warmupMs: plan.warmupMs, durationMs: plan.durationMs });
      const row: Row = { section, variant: t.variant, load1, ...r };
      result.rows.push(row);
      const extra = r.ttfb ? ` ttfb p50 ${r.ttfb.p50Us}µs` : '';
      const gap = section === 'paced' && r.gap ? ` gap p50 ${r.gap.p50Us}µs p99 ${r.gap.p99Us}µs` : '';
      log(`${section.padEnd(9)} c=${String(concurrency).padEnd(4)} ${t.variant.padEnd(13)} ${String(r.rps).padStart(8)}/s  p50 ${r.latency.p50Us}µs p99 ${r.latency.p99Us}µs${extra}${gap}${r.errors ? `  ERRORS ${r.errors}: ${r.firstError}` : ''}`);
    };

    if (plan.cpuProfDir) await Promise.all([hubMin.startProfile(), hubFull.startProfile()]);
    for (const c of plan.jsonConcurrency) for (const t of targets) await measure('json', t, false, c);
    for (const c of plan.streamConcurrency) for (const t of targets) await measure('stream', t, true, c);
    if (plan.cpuProfDir) result.profiles = await saveProfiles(plan.cpuProfDir, [hubMin, hubFull], startedAt);

    if (plan.paced) {
      await mock.setChunkDelay(plan.paced.chunkDelayMs);
      try {
        for (const t of targets) await measure('paced', t, true, plan.paced.concurrency);
      } finally {
        await mock.setChunkDelay(0);
      }
    }

    if (plan.translate) {
      result.translate = await runTranslate(plan.translate.concurrency, hubMin, wantTranslate ? hubTranslate : new Error('plugins/provider-openai is not present yet'), measure);
      log(`translate: ${result.translate.status}${result.translate.note ? ` — ${result.translate.note}` : ''}`);
    }
    if (plan.memory) result.memory = await runMemory(plan.memory, mock, hubFull, log);
    if (plan.soak) result.soak = await runSoak(plan.soak, hubFull, targets.find((t) => t.variant === 'hub-full')!, log);
    if (plan.ladder) {
      // Alone on the machine: the other systems under test are stopped first.
      await Promise.allSettled([...hubs.map((h) => h.stop()), bare?.stop(), portkey?.stop()]);
      const ladder = await runLadder(plan.ladder, mock, included, plan.redisUrl, log);
      result.rows.push(...ladder.rows);
      if (ladder.notes.length) result.ladderNotes = ladder.notes;
    }
  } finally {
    await Promise.allSettled([...hubs.map((h) => h.stop()), bare?.stop(), portkey?.stop()]);
    await mock?.stop();
  }
  result.finishedAt = new Date().toISOString();
  result.machine.load1AtEnd = Math.round(os.loadavg()[0]! * 100) / 100;
  return result;
}

async function saveProfiles(dir: string, hubs: Hub[], startedAt: string): Promise<NonNullable<SuiteResult['profiles']>> {
  fs.mkdirSync(dir, { recursive: true });
  const out: NonNullable<SuiteResult['profiles']> = {};
  for (const h of hubs) {
    const file = path.join(dir, `${h.name}-${startedAt.replace(/[:.]/g, '-')}.cpuprofile`);
    await h.stopProfile(file);
    out[h.name] = { file: path.relative(REPO_ROOT, file), summary: summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, 15) };
  }
  return out;
}

type Measure = (section: Section, t: Target, stream: boolean, concurrency: number) => Promise<void>;

async function runTranslate(concurrency: number, hubMin: Hub, hub: Hub | Error | undefined, measure: Measure): Promise<SuiteResult['translate']> {
  if (!hub) return { status: 'skipped' };
  if (hub instanceof Error) {
    const note = hub.message.includes('not present') ? hub.message : `the translating hub did not start: ${hub.message.slice(0, 400)}`;
    return { status: 'unavailable', note };
  }
  const t: Target = { variant: 'hub-translate', url: hub.url, headers: { 'x-api-key': HUB_KEY } };
  const problem = await check(t);
  if (problem) return { status: 'unavailable', note: `translation not available yet: ${problem}` };
  await measure('translate', { variant: 'hub-min', url: hubMin.url, headers: { 'x-api-key': HUB_KEY } }, true, concurrency);
  await measure('translate', t, true, concurrency);
  return { status: 'ok' };
}

/** Default plans. */
export const PLANS: Record<'full' | 'smoke', Omit<SuitePlan, 'redisUrl' | 'log' | 'cpuProfDir'>> = {
  full: {
    name: 'full',
    warmupMs: 1500,
    durationMs: 6000,
    jsonConcurrency: [1, 32, 128],
    streamConcurrency: [1, 32, 128],
    paced: { concurrency: 32, chunkDelayMs: 2 },
    translate: { concurrency: 32 },
    memory: { streams: 1000, chunkDelayMs: 200 },
    soak: { durationMs: 300_000, sampleEveryMs: 5000, concurrency: 32 },
    ladder: { warmupMs: 1000, durationMs: 4000, concurrency: [1, 32] },
    portkey: true,
  },
  smoke: {
    name: 'smoke',
    warmupMs: 100,
    durationMs: 400,
    jsonConcurrency: [8],
    streamConcurrency: [8],
    paced: { concurrency: 4, chunkDelayMs: 1 },
    translate: { concurrency: 4 },
    memory: { streams: 50, chunkDelayMs: 10 },
    soak: { durationMs: 800, sampleEveryMs: 200, concurrency: 8 },
    ladder: { warmupMs: 100, durationMs: 300, concurrency: [4], maxSteps: 0 },
    // Not ours, and ~4 s to start: the full run compares against it; `npm run bench:smoke -- --portkey` tries it.
    portkey: false,
  },
};

