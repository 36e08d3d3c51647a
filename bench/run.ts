/**
 * `npm run bench`: the full run (about 12 minutes on 2 cores). Prints the report and writes
 * bench/results/<timestamp>.json, latest.json and latest.md.
 *
 *   npm run bench -- --soak 60 --duration 5 --no-portkey --profile
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isMain, REPO_ROOT } from './child.ts';
import { toMarkdown } from './report.ts';
import { PLANS, runSuite } from './suite.ts';

const HELP = `usage: npm run bench -- [options]
  --duration S    measured seconds per point (default ${PLANS.full.durationMs / 1000})
  --warmup S      warm-up seconds per point (default ${PLANS.full.warmupMs / 1000})
  --soak S        steady-load seconds for the drift check (default ${PLANS.full.soak!.durationMs / 1000}; 0 = skip)
  --streams N     streams held open for the memory check (default ${PLANS.full.memory!.streams})
  --no-portkey    skip the Portkey side-by-side
  --profile       CPU-profile the hub processes (files in bench/results/profiles/)
Environment: DSN (PostgreSQL server; a fresh database per hub), REDIS_URL.
Defaults: postgres://postgres@127.0.0.1:5432/test and redis://127.0.0.1:6379.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      soak: { type: 'string' },
      streams: { type: 'string' },
      'no-portkey': { type: 'boolean' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  process.env.DSN ||= 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
  const profileDir = path.join(resultsDir, 'profiles');
  if (values.profile) fs.mkdirSync(profileDir, { recursive: true });
  const base = PLANS.full;
  const soakS = values.soak === undefined ? undefined : Number(values.soak);
  const plan = {
    ...base,
    durationMs: values.duration ? Number(values.duration) * 1000 : base.durationMs,
    warmupMs: values.warmup ? Number(values.warmup) * 1000 : base.warmupMs,
    memory: { ...base.memory!, streams: values.streams ? Number(values.streams) : base.memory!.streams },
    soak: soakS === 0 ? undefined : { ...base.soak!, durationMs: soakS ? soakS * 1000 : base.soak!.durationMs },
    portkey: !values['no-portkey'],
    redisUrl,
    cpuProfDir: values.profile ? profileDir : undefined,
    log: (l: string) => process.stderr.write(`${l}\n`),
  };
  const t0 = performance.now();
  const result = await runSuite(plan);
  const md = toMarkdown(result);
  process.stdout.write(`\n${md}`);
  fs.mkdirSync(resultsDir, { recursive: true });
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(result, null, 2)}\n`;
  fs.writeFileSync(path.join(resultsDir, `${stamp}.json`), json);
  fs.writeFileSync(path.join(resultsDir, 'latest.json'), json);
  fs.writeFileSync(path.join(resultsDir, 'latest.md'), md);
  process.stderr.write(`\nfull run took ${((performance.now() - t0) / 60_000).toFixed(1)} min; results in bench/results/${stamp}.json\n`);
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = await main();
