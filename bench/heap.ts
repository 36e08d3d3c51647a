/**
 * What an open stream costs the everything-on hub: RSS and heap (after GC) idle and with N slow
 * streams held open, optionally with V8 heap snapshots at each point and a per-constructor diff
 * of them (objects and self bytes per open stream), or V8's sampling heap profiler over the opening
 * of the streams and over 5 s of steady streaming (`--promoted`: only what survived the young
 * generation). RSS is read from smaps_rollup (see memory.ts); figures taken after a snapshot
 * include the memory the snapshot itself took. `--prompt-kb` grows the request bodies to a
 * realistic size. Analyse the files with `--diff` and `--summary`.
 *
 *   node --import tsx bench/heap.ts [--streams 300,1000] [--delay 1000] [--prompt-kb 0] [--snapshot /tmp/heap] [--sample /tmp/prof]
 *   node --import tsx bench/heap.ts --diff a.heapsnapshot b.heapsnapshot [--per 300] [--top 40]
 *   node --import tsx bench/heap.ts --summary file.heapprofile [--top 40]
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { isMain } from './child.ts';
import { FULL_PLUGINS, HUB_KEY, fullYaml, presentPlugins, requestFor } from './configs.ts';
import { startHub } from './hub.ts';
import { holdStreams, runLoad, type RequestSpec } from './load.ts';
import { hubRss } from './memory.ts';
import { startMockServer } from './mock-server.ts';

const MB = 1024 * 1024;
const mb = (n: number) => (n / MB).toFixed(1);

/** Anonymous vs file-backed resident memory of a process (Linux), in MB. */
function rssParts(pid: number): string {
  try {
    const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    return `anon ${(kb('Anonymous') / 1024).toFixed(1)} MB, file ${((kb('Rss') - kb('Anonymous')) / 1024).toFixed(1)} MB`;
  } catch {
    return '';
  }
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] }; node_count: number };
  nodes: number[];
  strings: string[];
}

/** Self size and count of live objects, grouped by `type:name` (constructor name for objects). */
export function summarize(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const iType = fields.indexOf('type');
  const iName = fields.indexOf('name');
  const iSize = fields.indexOf('self_size');
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    let name = snap.strings[snap.nodes[i + iName]!]!;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = '';
    else if (type === 'code' || type === 'hidden' || type === 'array') name = name.length > 60 ? name.slice(0, 60) : name;
    else if (type === 'closure') name = name || '(anonymous)';
    else if (type === 'number') name = '';
    const key = `${type}:${name.slice(0, 80)}`;
    const e = out.get(key);
    if (e) {
      e.count++;
      e.size += snap.nodes[i + iSize]!;
    } else out.set(key, { count: 1, size: snap.nodes[i + iSize]! });
  }
  return out;
}

/** Print the constructors that grew most from `a` to `b`, per `per` streams. */
export function diff(a: string, b: string, per: number, top: number): void {
  const sa = summarize(a);
  const sb = summarize(b);
  const rows: { key: string; dc: number; ds: number }[] = [];
  let total = 0;
  for (const [key, vb] of sb) {
    const va = sa.get(key) ?? { count: 0, size: 0 };
    rows.push({ key, dc: vb.count - va.count, ds: vb.size - va.size });
    total += vb.size - va.size;
  }
  for (const [key, va] of sa) if (!sb.has(key)) {
    rows.push({ key, dc: -va.count, ds: -va.size });
    total -= va.size;
  }
  rows.sort((x, y) => y.ds - x.ds);
  process.stdout.write(`self size growth ${mb(total)} MB total, ${(total / per / 1024).toFixed(1)} KB per stream (per = ${per})\n`);
  process.stdout.write(`${'bytes/stream'.padStart(12)} ${'objs/stream'.padStart(11)}  type:name\n`);
  for (const r of rows.slice(0, top)) {
    process.stdout.write(`${(r.ds / per).toFixed(0).padStart(12)} ${(r.dc / per).toFixed(2).padStart(11)}  ${r.key}\n`);
  }
}

/**
 * Grow every body to about `kb` KB the way Claude Code's are: a long system prompt, tool
 * definitions with JSON schemas, and a conversation of text turns (the benchmark's own prompt is
 * a few hundred bytes, so what an exchange keeps of its request does not show there).
 */
function withPrompt(spec: RequestSpec, kb: number): RequestSpec {
  if (kb <= 0) return spec;
  const words = 'the gateway forwards this conversation to the provider and counts every token on the way back '.repeat(30);
  const grow = (body: string): string => {
    const b = JSON.parse(body) as { system?: string; tools?: unknown[]; messages: { role: string; content: unknown }[] };
    b.system = words.slice(0, 2000).repeat(Math.max(1, Math.round(kb / 20)));
    b.tools = Array.from({ length: 20 }, (_, i) => ({
      name: `tool_${i}`,
      description: words.slice(0, 300),
      input_schema: { type: 'object', properties: { path: { type: 'string', description: 'A path.' }, limit: { type: 'integer' }, flags: { type: 'array', items: { type: 'string' } } }, required: ['path'] },
    }));
    const first = b.messages[0]!;
    const turns: { role: string; content: unknown }[] = [];
    while (JSON.stringify({ ...b, messages: turns }).length < kb * 1024) {
      turns.push({ role: 'user', content: [{ type: 'text', text: words.slice(0, 1500) }] });
      turns.push({ role: 'assistant', content: [{ type: 'text', text: words.slice(0, 1500) }] });
    }
    b.messages = [...turns, first];
    return JSON.stringify(b);
  };
  return { ...spec, body: grow(spec.body), bodies: spec.bodies?.map(grow) };
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

/** Bytes allocated (sampled, garbage included) by function and by file, from a `.heapprofile`. */
export function summarizeProfile(file: string, top: number): void {
  const { head } = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: SamplingNode };
  const byFn = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  const short = (url: string) => {
    const u = url.replace(/^file:\/\//, '');
    return u.includes('/node_modules/') ? u.replace(/^.*node_modules\//, 'nm:') : u.replace(/^.*?\/(core|plugins|bench)\//, '$1/');
  };
  // tsx emits each module on one line: there the column is what places a function.
  const where = (c: SamplingNode['callFrame']) => (c.lineNumber === 0 && c.url.endsWith('.ts') ? `1:${c.columnNumber + 1}` : String(c.lineNumber + 1));
  const walk = (n: SamplingNode, path: string[]) => {
    const here = `${n.callFrame.functionName || '(anon)'} ${short(n.callFrame.url)}:${where(n.callFrame)}`;
    if (n.selfSize) {
      total += n.selfSize;
      byFn.set(here, (byFn.get(here) ?? 0) + n.selfSize);
      // Attribute to the innermost frame of our own code (core/ or plugins/), else the innermost frame.
      const own = [...path, here].reverse().find((f) => /\s(core|plugins)\//.test(f)) ?? here;
      byFile.set(own, (byFile.get(own) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, [...path, here]);
  };
  walk(head, []);
  process.stdout.write(`sampled allocations: ${mb(total)} MB\n-- by allocating function\n`);
  for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${mb(v).padStart(8)} MB  ${k}\n`);
  process.stdout.write(`-- by innermost frame in core/ or plugins/\n`);
  for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${mb(v).padStart(8)} MB  ${k}\n`);
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      streams: { type: 'string', default: '300,1000' },
      delay: { type: 'string', default: '1000' },
      snapshot: { type: 'string' },
      diff: { type: 'boolean', default: false },
      per: { type: 'string', default: '1' },
      top: { type: 'string', default: '40' },
      sample: { type: 'string' },
      'prompt-kb': { type: 'string', default: '0' },
      promoted: { type: 'boolean', default: false },
      summary: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`usage:
  node --import tsx bench/heap.ts [--streams 300,1000] [--delay 1000] [--prompt-kb 0] [--snapshot DIR] [--sample DIR] [--promoted]
      RSS and heap of the everything-on hub idle and with N slow streams open (one event every --delay ms);
      --snapshot: heap snapshots at each point; --sample: sampling heap profiles (--promoted: only what
      survived the young generation); --prompt-kb: request bodies of that size.
  node --import tsx bench/heap.ts --diff A.heapsnapshot B.heapsnapshot [--per N] [--top 40]
      objects and bytes per constructor that B has more of than A (divided by --per, e.g. the streams).
  node --import tsx bench/heap.ts --summary FILE.heapprofile [--top 40]
      allocation sites of a sampling profile, by function and by file.
`);
    return 0;
  }
  if (values.summary) {
    summarizeProfile(positionals[0]!, Number(values.top));
    return 0;
  }
  if (values.diff) {
    diff(positionals[0]!, positionals[1]!, Number(values.per), Number(values.top));
    return 0;
  }
  process.env.DSN ||= 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const counts = values.streams!.split(',').map(Number);
  const delay = Number(values.delay);
  const snapDir = values.snapshot;
  if (snapDir) fs.mkdirSync(snapDir, { recursive: true });
  const mock = await startMockServer(3);
  const hub = await startHub({ name: 'hub-full', yaml: fullYaml(mock.urls, presentPlugins(FULL_PLUGINS).included), redisUrl }).catch(async (err) => {
    await mock.stop();
    throw err;
  });
  const t = { variant: 'hub-full' as const, url: hub.url, headers: { 'x-api-key': HUB_KEY } };
  try {
    process.stdout.write(`plugins: ${hub.plugins.join(', ')}\n`);
    const boot = await hub.memory(true);
    process.stdout.write(`boot (after GC): RSS ${mb(hubRss(hub))} MB (${rssParts(hub.child.pid)}), heap ${mb(boot.heapUsed)} of ${mb(boot.heapTotal)} MB, external ${mb(boot.external)} MB\n`);
    // Warm up: both request shapes a few hundred times, so pools, caches and JIT are in place.
    await runLoad({ ...requestFor(t, false, 32), concurrency: 32, warmupMs: 0, durationMs: 2000 });
    await runLoad({ ...requestFor(t, true, 32), concurrency: 32, warmupMs: 0, durationMs: 2000 });
    await sleep(500);
    const idle = await hub.memory(true);
    const idleRss = hubRss(hub);
    process.stdout.write(`idle after warm-up (after GC): RSS ${mb(idleRss)} MB (${rssParts(hub.child.pid)}), heap ${mb(idle.heapUsed)} of ${mb(idle.heapTotal)} MB, external ${mb(idle.external)} MB, arrayBuffers ${mb(idle.arrayBuffers)} MB\n`);
    if (snapDir) await hub.heapSnapshot(path.join(snapDir, 'hub-0.heapsnapshot'));
    for (const n of counts) {
      await mock.setChunkDelay(delay);
      if (values.sample) await hub.startHeapSampling({ promotedOnly: values.promoted });
      let open = 0;
      let peakRss = 0;
      let peakHeap = 0;
      let asking = false;
      const held = holdStreams(withPrompt(requestFor(t, true, n), Number(values['prompt-kb'])), n, 100, (o) => {
        open = o;
        peakRss = Math.max(peakRss, hubRss(hub));
        if (asking) return;
        asking = true;
        hub.memory(false).then(
          (m) => {
            peakHeap = Math.max(peakHeap, m.heapUsed);
            asking = false;
          },
          () => (asking = false),
        );
      });
      const t0 = performance.now();
      while (open < n && performance.now() - t0 < 60_000) await sleep(100);
      await sleep(1000);
      if (values.sample) {
        // What opening them allocated, then what 5 s of steady streaming allocates.
        await hub.stopHeapSampling(`${values.sample}-${n}-open.heapprofile`);
        await hub.startHeapSampling({ promotedOnly: values.promoted });
        await sleep(5000);
        await hub.stopHeapSampling(`${values.sample}-${n}-steady.heapprofile`);
      }
      const live = await hub.memory(false);
      const liveRss = hubRss(hub);
      const gcd = await hub.memory(true);
      const gcRss = hubRss(hub);
      process.stdout.write(
        `${n} streams (${open} open): RSS ${mb(liveRss)} MB (peak ${mb(Math.max(peakRss, liveRss))}; ${rssParts(hub.child.pid)}), heap ${mb(live.heapUsed)} of ${mb(live.heapTotal)} MB (peak used ${mb(peakHeap)}); after GC: RSS ${mb(gcRss)} MB, heap ${mb(gcd.heapUsed)} MB ` +
          `→ ${((gcd.heapUsed - idle.heapUsed) / 1024 / Math.max(1, open)).toFixed(1)} KB heap and ${((Math.max(peakRss, liveRss) - idleRss) / 1024 / Math.max(1, open)).toFixed(1)} KB RSS per stream; external ${mb(gcd.external)} MB, arrayBuffers ${mb(gcd.arrayBuffers)} MB\n`,
      );
      if (snapDir) await hub.heapSnapshot(path.join(snapDir, `hub-${n}.heapsnapshot`));
      await mock.setChunkDelay(0);
      const r = await held;
      if (r.errors) process.stdout.write(`  ${r.errors} errors: ${r.firstError}\n`);
      await sleep(500);
      const after = await hub.memory(true);
      process.stdout.write(`  after they ended (after GC): RSS ${mb(hubRss(hub))} MB, heap ${mb(after.heapUsed)} MB\n`);
    }
  } finally {
    await hub.stop().catch(() => undefined);
    await mock.stop().catch(() => undefined);
  }
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = await main();
