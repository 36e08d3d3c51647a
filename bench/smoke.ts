/**
 * `npm run bench:smoke`: every scenario for about a second each — it only proves that every
 * process starts and every scenario produces numbers, so the bench cannot rot. The mocha test
 * bench/test/smoke.test.ts calls {@link runSmoke} too.
 */
import { isMain } from './child.ts';
import { toMarkdown } from './report.ts';
import { PLANS, runSuite, type SuiteResult } from './suite.ts';

export interface SmokeOptions {
  log?: (line: string) => void;
  /** Include Portkey when it is installed (default false: it is not ours and slow to start). */
  portkey?: boolean;
}

/** Run the smoke plan against Redis when REDIS_URL is set, else the memory store. */
export function runSmoke(opts: SmokeOptions = {}): Promise<SuiteResult> {
  return runSuite({ ...PLANS.smoke, portkey: opts.portkey ?? false, redisUrl: process.env.REDIS_URL || undefined, log: opts.log });
}

/** What is wrong with a smoke run: scenarios without numbers, errors, missing sections. */
export function smokeProblems(r: SuiteResult): string[] {
  const problems: string[] = [];
  for (const row of r.rows) {
    if (row.variant === 'portkey') continue; // not ours; its state is reported, not asserted
    if (row.requests === 0 || row.rps <= 0) problems.push(`${row.section} ${row.variant} c=${row.concurrency}: no completed requests${row.firstError ? ` (${row.firstError})` : ''}`);
    if (row.errors > 0) problems.push(`${row.section} ${row.variant} c=${row.concurrency}: ${row.errors} errors, first: ${row.firstError}`);
    if (row.latency.p50Us <= 0) problems.push(`${row.section} ${row.variant}: no latency recorded`);
  }
  for (const section of ['json', 'stream', 'paced'] as const) {
    for (const variant of ['direct', 'bare', 'hub-min', 'hub-full'] as const) {
      if (!r.rows.some((x) => x.section === section && x.variant === variant)) problems.push(`${section} ${variant}: not measured`);
    }
  }
  if (r.translate.status === 'ok' && r.rows.filter((x) => x.section === 'translate').length !== 2) problems.push('translate: ran but produced no numbers');
  if (!r.memory || r.memory.completed === 0 || r.memory.errors > 0 || r.memory.peakRssMB <= 0) problems.push(`memory: ${JSON.stringify(r.memory)}`);
  if (r.plan.ladder && !r.rows.some((x) => x.section === 'ladder' && x.label === 'base' && x.requests > 0)) problems.push('ladder: the base step produced no numbers');
  if (!r.soak || r.soak.rows.some((x) => x.requests === 0) || r.soak.rss.length < 2) problems.push('soak: no numbers');
  return problems;
}

if (isMain(import.meta.url)) {
  const t0 = performance.now();
  const r = await runSmoke({ portkey: process.argv.includes('--portkey'), log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(toMarkdown(r));
  const problems = smokeProblems(r);
  process.stderr.write(`\nsmoke run took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  if (problems.length) {
    process.stderr.write(`\nbench smoke FAILED:\n  ${problems.join('\n  ')}\n`);
    process.exitCode = 1;
  }
}
