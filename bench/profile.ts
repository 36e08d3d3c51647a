/**
 * Where the hub spends its CPU: run one hub under `node --cpu-prof` with steady load, then
 * list the hottest functions (self time) and the files and packages they live in.
 *
 *   node --import tsx bench/profile.ts [--hub full|min] [--plugins auth,accounting,provider-claude]
 *                                      [--seconds 15] [--concurrency 32] [--top 30]
 *   node --import tsx bench/profile.ts --summarize path/to/file.cpuprofile
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMain, REPO_ROOT } from './child.ts';
import { FULL_PLUGINS, HUB_KEY, fullYaml, minimalYaml, presentPlugins, requestFor } from './configs.ts';
import { startHub } from './hub.ts';
import { runLoad } from './load.ts';
import { startMockServer } from './mock-server.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
/** The parts of a V8 `.cpuprofile` the summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface HotSpot {
  /** `function (file:line)`. */
  where: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  totalMs: number;
  idlePct: number;
  functions: HotSpot[];
  /** Self time per source file (repository files) or per package (node_modules) or node internals. */
  files: HotSpot[];
  /** Inclusive time of repository functions (what they and their callees cost). */
  inclusive: HotSpot[];
}

function shortUrl(url: string): string {
  if (!url) return '(native)';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 14).split('/');
    return `npm:${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (p.startsWith(REPO_ROOT)) return path.relative(REPO_ROOT, p);
  if (p.startsWith('node:')) return p;
  return p;
}

/** Summarize a .cpuprofile: self time by function and by file, inclusive time of repo code. */
export function summarizeProfile(profile: CpuProfile, top = 30): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totalSamples = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0) || 1;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const perSample = totalMs / totalSamples;
  const self = new Map<string, number>();
  const files = new Map<string, number>();
  let idle = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    const f = n.callFrame;
    if (f.functionName === '(idle)' || f.functionName === '(program)' || f.functionName === '(garbage collector)') {
      if (f.functionName === '(idle)') idle += hits;
      else self.set(f.functionName, (self.get(f.functionName) ?? 0) + hits);
      if (f.functionName !== '(idle)') files.set(f.functionName, (files.get(f.functionName) ?? 0) + hits);
      continue;
    }
    const file = shortUrl(f.url);
    const key = `${f.functionName || '(anonymous)'} (${file}:${f.lineNumber + 1})`;
    self.set(key, (self.get(key) ?? 0) + hits);
    files.set(file, (files.get(file) ?? 0) + hits);
  }
  // Inclusive time for repository functions: each sample counts once per distinct function on its stack.
  const inclusive = new Map<string, number>();
  const walk = (id: number, stack: Set<string>) => {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const file = shortUrl(f.url);
    const repo = !file.startsWith('npm:') && !file.startsWith('node:') && file !== '(native)' && !file.startsWith('/');
    const key = `${f.functionName || '(anonymous)'} (${file}:${f.lineNumber + 1})`;
    const added = repo && !stack.has(key);
    if (added) stack.add(key);
    const hits = n.hitCount ?? 0;
    if (hits) for (const k of stack) inclusive.set(k, (inclusive.get(k) ?? 0) + hits);
    for (const c of n.children ?? []) walk(c, stack);
    if (added) stack.delete(key);
  };
  walk(profile.nodes[0]!.id, new Set());
  const busy = totalSamples - idle || 1;
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, hits]) => ({ where, selfMs: Math.round(hits * perSample), selfPct: Math.round((hits / busy) * 1000) / 10 }));
  return { totalMs: Math.round(totalMs), idlePct: Math.round((idle / totalSamples) * 1000) / 10, functions: list(self), files: list(files), inclusive: list(inclusive) };
}

/** Print a summary as plain text (percentages are of non-idle time). */
export function formatSummary(s: ProfileSummary): string {
  const block = (title: string, xs: HotSpot[]) => `${title}\n${xs.map((x) => `  ${String(x.selfPct).padStart(5)}%  ${String(x.selfMs).padStart(6)} ms  ${x.where}`).join('\n')}`;
  return [
    `profile: ${s.totalMs} ms, ${s.idlePct}% idle; percentages below are of busy time`,
    block('self time by function:', s.functions),
    block('self time by file / package:', s.files),
    block('inclusive time of repository functions:', s.inclusive),
  ].join('\n\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hub: { type: 'string', default: 'full' },
      plugins: { type: 'string' },
      seconds: { type: 'string', default: '15' },
      concurrency: { type: 'string', default: '32' },
      top: { type: 'string', default: '30' },
      summarize: { type: 'string' },
    },
  });
  const top = Number(values.top);
  if (values.summarize) {
    process.stdout.write(`${formatSummary(summarizeProfile(JSON.parse(fs.readFileSync(values.summarize, 'utf8')) as CpuProfile, top))}\n`);
    return;
  }
  process.env.DSN ||= 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const mock = await startMockServer(3);
  // --plugins: the everything-on configuration (three providers, limits) with just these plugins.
  const yaml = values.plugins
    ? fullYaml(mock.urls, values.plugins.split(','))
    : values.hub === 'full'
      ? fullYaml(mock.urls, presentPlugins(FULL_PLUGINS).included)
      : minimalYaml(mock.urls[0]!);
  const label = values.plugins ? 'custom' : values.hub!;
  const hub = await startHub({ name: `hub-${label}`, yaml, redisUrl });
  const out = path.join(REPO_ROOT, 'bench', 'results', 'profiles');
  fs.mkdirSync(out, { recursive: true });
  const dest = path.join(out, `hub-${label}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
  try {
    const c = Number(values.concurrency);
    const ms = Number(values.seconds) * 1000;
    const t = { variant: 'hub-full' as const, url: hub.url, headers: { 'x-api-key': HUB_KEY } };
    const run = { concurrency: c, warmupMs: 0, durationMs: ms };
    // A short unrecorded warm-up so the profile shows the steady state, not JIT and first connections.
    await runLoad({ ...requestFor(t, false, c), ...run, durationMs: 2000 });
    await hub.startProfile();
    const j = await runLoad({ ...requestFor(t, false, c), ...run });
    const s = await runLoad({ ...requestFor(t, true, c), ...run });
    await hub.stopProfile(dest);
    process.stderr.write(`hub-${label} [${hub.plugins.join(', ')}]: JSON ${j.rps}/s (errors ${j.errors}), streams ${s.rps}/s (errors ${s.errors}) at c=${c}\n`);
  } finally {
    await hub.stop();
    await mock.stop();
  }
  process.stdout.write(`${formatSummary(summarizeProfile(JSON.parse(fs.readFileSync(dest, 'utf8')) as CpuProfile, top))}\n\nprofile: ${path.relative(REPO_ROOT, dest)}\n`);
}

if (isMain(import.meta.url)) await main();
