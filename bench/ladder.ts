/**
 * What each plugin costs on its own: one hub per step — auth + provider-claude, then that plus
 * one more plugin, then all of them — with the same three providers and limits as the
 * everything-on hub, measured one at a time so nothing else competes for the two cores. Each
 * step also counts the Redis commands it causes per request.
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { HUB_KEY, fullYaml, requestFor } from './configs.ts';
import { startHub } from './hub.ts';
import { runLoad } from './load.ts';
import type { MockServer } from './mock-server.ts';
import { commandCounts, perRequest } from './redis-stats.ts';
import type { Row, SuitePlan } from './types.ts';

const BASE = ['auth', 'provider-claude'];

/** Run the ladder; returns its rows (label = the added plugin, `base`, or `all`) and notes on steps that could not run. */
export async function runLadder(
  opts: NonNullable<SuitePlan['ladder']>,
  mock: MockServer,
  plugins: string[],
  redisUrl: string | undefined,
  log: (l: string) => void,
): Promise<{ rows: Row[]; notes: string[] }> {
  const extras = plugins.filter((p) => !BASE.includes(p)).slice(0, opts.maxSteps ?? Infinity);
  const steps: { label: string; list: string[] }[] = [
    // Keep YAML order: the extra plugin goes where it sits in the everything-on list.
    ...[undefined, ...extras].map((extra) => ({ label: extra ?? 'base', list: plugins.filter((p) => BASE.includes(p) || p === extra) })),
    ...(opts.maxSteps === undefined && extras.length > 1 ? [{ label: 'all', list: plugins }] : []),
  ];
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const { label, list } of steps) {
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
        const before = redisUrl ? await commandCounts(redisUrl).catch(() => undefined) : undefined;
        const r = await runLoad({ ...requestFor({ variant: 'hub-ladder', url: hub.url, headers: { 'x-api-key': HUB_KEY } }, false, c), concurrency: c, warmupMs: opts.warmupMs, durationMs: opts.durationMs });
        let redis: Row['redis'];
        if (before) {
          await sleep(400); // settle work (limit release, accounting flush) lands after the reply
          const after = await commandCounts(redisUrl!).catch(() => undefined);
          if (after) redis = perRequest(before, after, r.sent);
        }
        rows.push({ section: 'ladder', variant: 'hub-ladder', label, load1, ...r, ...(redis ? { redis } : {}) });
        log(
          `ladder    c=${String(c).padEnd(4)} +${label.padEnd(18)} ${String(r.rps).padStart(8)}/s  p50 ${r.latency.p50Us}µs p99 ${r.latency.p99Us}µs` +
            `${redis ? `  redis ${redis.total}/req ${redis.cpuUs ?? '?'}µs` : ''}${r.errors ? `  ERRORS ${r.errors}: ${r.firstError}` : ''}`,
        );
      }
    } finally {
      await hub.stop();
    }
  }
  return { rows, notes };
}
