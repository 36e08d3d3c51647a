/**
 * Turns a run's numbers into the ratios that matter (hub/bare, hub/direct, hub/Portkey — all
 * from the same run) and a Markdown report with the targets checked against them.
 */
import type { Row, Section, SuiteResult, Variant } from './suite.ts';

/** One target from the issue, as measured in this run. */
export interface TargetCheck {
  name: string;
  target: string;
  actual: string;
  /** undefined when this run could not measure it (a smoke run, Portkey unavailable, …). */
  met: boolean | undefined;
}

const VARIANTS: Variant[] = ['direct', 'bare', 'hub-min', 'hub-full', 'portkey', 'hub-translate'];

function find(r: SuiteResult, section: Section, variant: Variant, c?: number): Row | undefined {
  return r.rows.find((x) => x.section === section && x.variant === variant && (c === undefined || x.concurrency === c));
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : a / b;
}

const pct = (v: number | undefined) => (v === undefined ? '—' : `${Math.round(v * 100)}%`);
const times = (v: number | undefined) => (v === undefined ? '—' : `${v.toFixed(1)}×`);
const ms = (us: number | undefined) => (us === undefined ? '—' : (us / 1000).toFixed(us < 10_000 ? 3 : 1));
const signedMs = (us: number | undefined) => (us === undefined ? '—' : `${us >= 0 ? '+' : ''}${(us / 1000).toFixed(3)}`);
const num = (n: number | undefined) => (n === undefined ? '—' : n >= 100 ? String(Math.round(n)) : n.toFixed(1));

/** Hub minus direct (or another baseline), p50 and p99, in µs. */
export function addedLatency(r: SuiteResult, variant: Variant, baseline: Variant = 'direct'): { p50Us: number; p99Us: number } | undefined {
  const a = find(r, 'json', variant, 1);
  const b = find(r, 'json', baseline, 1);
  if (!a || !b) return undefined;
  return { p50Us: a.latency.p50Us - b.latency.p50Us, p99Us: a.latency.p99Us - b.latency.p99Us };
}

/** The targets of the benchmark issue, checked against this run. */
export function checkTargets(r: SuiteResult): TargetCheck[] {
  const out: TargetCheck[] = [];
  const cs = (s: Section) => [...new Set(r.rows.filter((x) => x.section === s && x.concurrency > 1).map((x) => x.concurrency))];
  for (const [section, min, label] of [
    ['json', 0.6, 'non-streaming req/s'],
    ['stream', 0.8, 'streams/s'],
  ] as const) {
    const parts = cs(section).map((c) => ({ c, v: ratio(find(r, section, 'hub-full', c)?.rps, find(r, section, 'bare', c)?.rps) }));
    const known = parts.filter((p) => p.v !== undefined);
    out.push({
      name: `everything-on hub vs bare proxy, ${label}`,
      target: `≥ ${min * 100}%`,
      actual: parts.map((p) => `c=${p.c}: ${pct(p.v)}`).join(', ') || '—',
      met: known.length ? known.every((p) => p.v! >= min) : undefined,
    });
  }
  const added = addedLatency(r, 'hub-full');
  out.push({ name: 'added latency at c=1, everything on, p50', target: '≤ 0.6 ms', actual: added ? `${signedMs(added.p50Us)} ms` : '—', met: added ? added.p50Us <= 600 : undefined });
  out.push({ name: 'added latency at c=1, everything on, p99', target: '≤ 2 ms', actual: added ? `${signedMs(added.p99Us)} ms` : '—', met: added ? added.p99Us <= 2000 : undefined });
  const pk = ratio(find(r, 'json', 'hub-full', 32)?.rps, find(r, 'json', 'portkey', 32)?.rps);
  out.push({
    name: 'everything-on hub vs Portkey, non-streaming req/s at c=32',
    target: '≥ 5×',
    actual: pk === undefined ? (r.portkey.note ?? `Portkey ${r.portkey.status}`) : times(pk),
    met: pk === undefined ? undefined : pk >= 5,
  });
  const m = r.memory;
  out.push({
    name: 'hub RSS with 1,000 streams held open',
    target: '≤ 200 MB',
    actual: m ? `${m.peakRssMB} MB (${m.streams} requested, ${m.peakOpen} open at once)` : '—',
    met: m && m.streams >= 1000 ? m.peakRssMB <= 200 : undefined,
  });
  const s = r.soak;
  out.push({
    name: 'no upward memory drift under steady load',
    target: 'after a forced GC: heap +≤ 5 MB and RSS +≤ 10 % from start to end',
    actual: s
      ? `${Math.round(s.durationMs / 1000)} s: heap ${s.heapAfterGcStartMB} → ${s.heapAfterGcEndMB} MB, RSS ${s.rssAfterGcStartMB} → ${s.rssAfterGcEndMB} MB ` +
        `(under load: median ${s.rssLoadedFirstThirdMB} → ${s.rssLoadedLastThirdMB} MB, max ${s.rssMaxMB})`
      : '—',
    met: s && s.durationMs >= 60_000 ? s.heapAfterGcEndMB - s.heapAfterGcStartMB <= 5 && s.rssAfterGcEndMB <= s.rssAfterGcStartMB * 1.1 : undefined,
  });
  return out;
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function sectionTable(r: SuiteResult, section: 'json' | 'stream'): string {
  const rows: string[][] = [];
  const cs = [...new Set(r.rows.filter((x) => x.section === section).map((x) => x.concurrency))];
  for (const c of cs) {
    const bare = find(r, section, 'bare', c);
    const direct = find(r, section, 'direct', c);
    const portkey = find(r, section, 'portkey', c);
    for (const v of VARIANTS) {
      const x = find(r, section, v, c);
      if (!x) continue;
      const cells = [String(c), v, num(x.rps), ms(x.latency.p50Us), ms(x.latency.p99Us)];
      if (section === 'stream') cells.push(ms(x.ttfb?.p50Us), ms(x.ttfb?.p99Us));
      cells.push(pct(ratio(x.rps, direct?.rps)), pct(ratio(x.rps, bare?.rps)), v.startsWith('hub') && portkey ? times(ratio(x.rps, portkey.rps)) : '', x.errors ? String(x.errors) : '');
      rows.push(cells);
    }
  }
  const head = ['c', 'target', section === 'json' ? 'req/s' : 'streams/s', 'p50 ms', 'p99 ms'];
  if (section === 'stream') head.push('TTFB p50 ms', 'TTFB p99 ms');
  head.push('vs direct', 'vs bare', 'vs Portkey', 'errors');
  return table(head, rows);
}

/** The whole run as Markdown: tables, ratios, targets, memory. */
export function toMarkdown(r: SuiteResult): string {
  const parts: string[] = [];
  const m = r.machine;
  parts.push(
    `Run \`${r.plan.name}\` at ${r.startedAt} on commit ${m.commit}: ${m.cpus} × ${m.cpuModel}, ${m.memGB} GB, Node ${m.node}, ${m.platform}. ` +
      `Store: ${r.store}. Each point: ${r.plan.warmupMs / 1000} s warm-up, ${r.plan.durationMs / 1000} s measured, closed loop. ` +
      `Machine load average (1 min) ${m.load1AtStart} at start, ${m.load1AtEnd} at end${Math.max(m.load1AtStart, m.load1AtEnd) > m.cpus ? ' — other work was running; absolute numbers are pessimistic, ratios less so' : ''}.`,
  );
  parts.push(`Everything-on hub plugins: ${r.plugins.full.join(', ')}${r.plugins.missing.length ? ` — not present yet, so not measured: ${r.plugins.missing.join(', ')}` : ''}.`);
  parts.push(`Portkey: ${r.portkey.status}${r.portkey.version ? ` (${r.portkey.version})` : ''}${r.portkey.note ? ` — ${r.portkey.note}` : ''}.`);

  parts.push('### Targets\n\n' + table(['what', 'target', 'this run', 'met'], checkTargets(r).map((t) => [t.name, t.target, t.actual, t.met === undefined ? 'n/a' : t.met ? 'yes' : '**no**'])));

  parts.push('### Non-streaming JSON (Anthropic Messages)\n\n' + sectionTable(r, 'json'));
  parts.push('### Streaming SSE (Anthropic, 50 deltas, whole stream written at once by the mock)\n\n' + sectionTable(r, 'stream'));

  const added = VARIANTS.filter((v) => v !== 'direct')
    .map((v) => ({ v, a: addedLatency(r, v), x: find(r, 'json', v, 1) }))
    .filter((e) => e.a && e.x);
  if (added.length) {
    parts.push(
      '### Added latency at c=1 (JSON, minus direct to the mock)\n\n' +
        table(
          ['target', 'p50 ms', 'p99 ms', 'added p50 ms', 'added p99 ms'],
          added.map(({ v, a, x }) => [v, ms(x!.latency.p50Us), ms(x!.latency.p99Us), signedMs(a!.p50Us), signedMs(a!.p99Us)]),
        ),
    );
  }

  const paced = r.rows.filter((x) => x.section === 'paced');
  const pacedDirect = paced.find((x) => x.variant === 'direct');
  if (paced.length && pacedDirect?.gap) {
    parts.push(
      `### Inter-chunk delay (mock sends one event every ${r.plan.paced?.chunkDelayMs} ms, c=${r.plan.paced?.concurrency})\n\n` +
        table(
          ['target', 'streams/s', 'gap p50 ms', 'gap p99 ms', 'added gap p50 ms', 'added gap p99 ms', 'TTFB p50 ms', 'chunks/stream'],
          paced.map((x) => [
            x.variant,
            num(x.rps),
            ms(x.gap?.p50Us),
            ms(x.gap?.p99Us),
            signedMs((x.gap?.p50Us ?? 0) - pacedDirect.gap!.p50Us),
            signedMs((x.gap?.p99Us ?? 0) - pacedDirect.gap!.p99Us),
            ms(x.ttfb?.p50Us),
            String(x.chunksPerStream ?? ''),
          ]),
        ),
    );
  }

  if (r.translate.status !== 'skipped') {
    const tr = r.rows.filter((x) => x.section === 'translate');
    const same = tr.find((x) => x.variant === 'hub-min');
    const translated = tr.find((x) => x.variant === 'hub-translate');
    parts.push(
      '### Translated streaming (Anthropic client → OpenAI provider) vs same format\n\n' +
        (r.translate.status !== 'ok'
          ? `Skipped: ${r.translate.note}`
          : table(
              ['path', 'streams/s', 'p50 ms', 'p99 ms', 'TTFB p50 ms', 'vs same format'],
              [same, translated].filter(Boolean).map((x) => [x!.variant === 'hub-min' ? 'same format (hub-min)' : 'translated', num(x!.rps), ms(x!.latency.p50Us), ms(x!.latency.p99Us), ms(x!.ttfb?.p50Us), pct(ratio(x!.rps, same?.rps))]),
            )),
    );
  }

  if (r.memory) {
    const mm = r.memory;
    parts.push(
      `### Memory\n\n${mm.streams} slow streams (one event every ${mm.chunkDelayMs} ms) against the everything-on hub: ` +
        `${mm.peakOpen} open at once at peak, ${mm.completed} completed, ${mm.errors} errors${mm.firstError ? ` (${mm.firstError})` : ''}; ` +
        `requests per provider (mock instance): ${mm.perUpstream.join(' / ')}. ` +
        `Hub RSS ${mm.baselineRssMB} MB idle (after GC) → ${mm.peakRssMB} MB peak; heap used at peak ${mm.peakHeapMB} MB; ≈ ${mm.perStreamKB} KB RSS per open stream.`,
    );
  }
  if (r.soak) {
    const s = r.soak;
    const [j, st] = s.rows;
    parts.push(
      `Soak: ${Math.round(s.durationMs / 1000)} s of JSON (c=${j?.concurrency}) + streams (c=${st?.concurrency}) on the everything-on hub at ${num(j?.rps)} req/s + ${num(st?.rps)} streams/s. ` +
        `After a forced GC, heap ${s.heapAfterGcStartMB} → ${s.heapAfterGcEndMB} MB and RSS ${s.rssAfterGcStartMB} → ${s.rssAfterGcEndMB} MB. ` +
        `Under load, RSS median ${s.rssLoadedFirstThirdMB} MB over the first third and ${s.rssLoadedLastThirdMB} MB over the last (max ${s.rssMaxMB}; second-half slope ${s.rssSlopeMBPerMin} MB/min).`,
    );
  }
  const ladder = r.rows.filter((x) => x.section === 'ladder');
  if (ladder.length || r.ladderNotes?.length) {
    const labels = [...new Set(ladder.map((x) => x.label!))];
    const cs = [...new Set(ladder.map((x) => x.concurrency))].sort((a, b) => a - b);
    const at = (label: string, c: number) => ladder.find((x) => x.label === label && x.concurrency === c);
    const base = (c: number) => at('base', c);
    const head = ['plugin added to auth + provider-claude'];
    for (const c of cs) head.push(c === 1 ? 'c=1 p50 ms' : `c=${c} req/s`, c === 1 ? 'added p50 ms' : 'vs base');
    const withRedis = ladder.some((x) => x.redis);
    if (withRedis) head.push('Redis CPU µs / request', 'Redis commands / request (top ones)');
    const rows = labels.map((label) => {
      const cells = [label === 'base' ? '(none)' : label === 'all' ? 'all of them (everything on)' : label];
      for (const c of cs) {
        const x = at(label, c);
        if (c === 1) cells.push(ms(x?.latency.p50Us), label === 'base' ? '' : signedMs(x && base(c) ? x.latency.p50Us - base(c)!.latency.p50Us : undefined));
        else cells.push(num(x?.rps), label === 'base' ? '' : pct(ratio(x?.rps, base(c)?.rps)));
      }
      if (withRedis) {
        const rd = [...cs].reverse().map((c) => at(label, c)?.redis).find(Boolean);
        cells.push(rd?.cpuUs !== undefined ? String(rd.cpuUs) : '—');
        cells.push(rd ? `${rd.total}${rd.top.length ? ` (${rd.top.map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}` : '—');
      }
      return cells;
    });
    parts.push(
      '### Cost of each plugin alone (JSON; one hub per row, measured alone; Redis counts include commands run inside Lua scripts)\n\n' +
        table(head, rows) +
        (r.ladderNotes?.length ? `\n\nNot measured: ${r.ladderNotes.join('; ')}` : ''),
    );
  }

  for (const [hub, p] of Object.entries(r.profiles ?? {})) {
    const s = p.summary;
    parts.push(
      `### CPU profile of ${hub} (JSON and stream sections, ${s.idlePct}% idle; shares of busy time; \`${p.file}\`)\n\n` +
        table(['self %', 'function (file:line of transpiled code)'], s.functions.slice(0, 12).map((f) => [`${f.selfPct}%`, `\`${f.where}\``])) +
        '\n\n' +
        table(['self %', 'file / package'], s.files.slice(0, 10).map((f) => [`${f.selfPct}%`, `\`${f.where}\``])),
    );
  }
  return parts.join('\n\n') + '\n';
}
