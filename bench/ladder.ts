/**
 * What each plugin costs on its own: one hub per step — auth + provider-claude, then that plus
 * one more plugin — with the same three providers and limits as the everything-on hub, measured
 * one at a time so nothing else competes for the two cores.
 */
import { HUB_KEY, fullYaml, requestFor } from './configs.ts';
import { startHub } from './hub.ts';
import { runLoad } from './load.ts';
import type { MockServer } from './mock-server.ts';
import type { Row, SuitePlan } from './types.ts';
import os from 'node:os';

const BASE = ['auth', 'provider-claude'];

/** Run the ladder; returns its rows (label = the added plugin, `base` for none) and notes on steps that could not run. */
export async function runLadder(
  opts: NonNullable<SuitePlan['ladder']>,
  mock: MockServer,
  plugins: string[],
  redisUrl: string | undefined,
  log: (l: string) => void,
): Promise<{ rows: Row[]; notes: string[] }> {
  const extras = plugins.filter((p) => !BASE.includes(p)).slice(0, opts.maxSteps ?? Infinity);
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const extra of [undefined, ...extras]) {
    const label = extra ?? 'base';
    // Keep YAML order: the extra plugin goes where it sits in the everything-on list.
    const list = plugins.filter((p) => BASE.includes(p) || p === extra);
    let hub;
    try {
      hub = await startHub({ name: `hub-ladder-${label}`, yaml: fullYaml(mock.urls, list), redisUrl });
    } catch (err) {
      notes.push(`${label}: the hub did not start alone with it (${(err as Error).message.split('\n')[0]!.slice(0, 300)})`);
      log(`ladder    ${label}: skipped — ${notes.at(-1)}`);
      continue;
    }
    try {
      for (const c of opts.concurrency) {
        const load1 = os.loadavg()[0]!;
        const r = await runLoad({ ...requestFor({ variant: 'hub-ladder', url: hub.url, headers: { 'x-api-key': HUB_KEY } }, false, c), concurrency: c, warmupMs: opts.warmupMs, durationMs: opts.durationMs });
        rows.push({ section: 'ladder', variant: 'hub-ladder', label, load1, ...r });
        log(`ladder    c=${String(c).padEnd(4)} +${label.padEnd(18)} ${String(r.rps).padStart(8)}/s  p50 ${r.latency.p50Us}µs p99 ${r.latency.p99Us}µs${r.errors ? `  ERRORS ${r.errors}: ${r.firstError}` : ''}`);
      }
    } finally {
      await hub.stop();
    }
  }
  return { rows, notes };
}
