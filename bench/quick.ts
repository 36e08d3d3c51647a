/**
 * A two-minute check while working on the hot path: bare proxy, minimal hub and everything-on
 * hub side by side (JSON, and streams with `--streams`), at c=1 and c=32, with Redis commands
 * per request and the CPU each request costs the system under test, Redis and PostgreSQL (from
 * /proc: steadier than req/s on a shared machine). Prints a table; writes nothing.
 *
 *   node --import tsx bench/quick.ts [--seconds 4] [--concurrency 1,32] [--streams] [--only hub-full] [--ladder]
 *                                    [--full-plugins auth,balancer,accounting,provider-claude]
 */
import { parseArgs } from 'node:util';
import { isMain } from './child.ts';
import { startBareProxy } from './bare-proxy.ts';
import { FULL_PLUGINS, HUB_KEY, PROVIDER_KEY, fullYaml, minimalYaml, presentPlugins, requestFor } from './configs.ts';
import { startHub, type Hub } from './hub.ts';
import { runLoad } from './load.ts';
import { startMockServer } from './mock-server.ts';
import { runLadder } from './ladder.ts';
import { commandCounts, perRequest } from './redis-stats.ts';
import { namedCpuMs, processCpuMs, usPerRequest } from './proc-cpu.ts';
import type { Target } from './types.ts';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '1,32' },
      streams: { type: 'boolean', default: false },
      only: { type: 'string' },
      ladder: { type: 'boolean', default: false },
      // The everything-on hub with these plugins instead (what it would cost without, say, the limits).
      'full-plugins': { type: 'string' },
    },
  });
  process.env.DSN ||= 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const durationMs = Number(values.seconds) * 1000;
  const concurrency = values.concurrency!.split(',').map(Number);
  const mock = await startMockServer(3);
  if (values.ladder) {
    // What each plugin costs alone (auth + provider-claude + it), then all of them.
    try {
      await runLadder({ warmupMs: 1000, durationMs, concurrency }, mock, presentPlugins(FULL_PLUGINS).included, redisUrl, (l) => process.stdout.write(`${l}\n`));
    } finally {
      await mock.stop();
    }
    return 0;
  }
  const hubs: Hub[] = [];
  const stops: (() => Promise<void>)[] = [() => mock.stop()];
  try {
    const bare = await startBareProxy(mock.urls[0]!, PROVIDER_KEY);
    stops.push(() => bare.stop());
    const [min, full] = await Promise.all([
      startHub({ name: 'hub-min', yaml: minimalYaml(mock.urls[0]!), redisUrl }),
      startHub({ name: 'hub-full', yaml: fullYaml(mock.urls, values['full-plugins']?.split(',') ?? presentPlugins(FULL_PLUGINS).included), redisUrl }),
    ]);
    hubs.push(min, full);
    const targets: (Target & { redis?: boolean; pid: number })[] = [
      { variant: 'direct', url: mock.urls[0]!, headers: {}, pid: mock.child.pid },
      { variant: 'bare', url: bare.url, headers: {}, pid: bare.child.pid },
      { variant: 'hub-min', url: min.url, headers: { 'x-api-key': HUB_KEY }, pid: min.child.pid },
      { variant: 'hub-full', url: full.url, headers: { 'x-api-key': HUB_KEY }, redis: true, pid: full.child.pid },
    ];
    const kinds = values.streams ? [false, true] : [false];
    for (const stream of kinds) {
      for (const c of concurrency) {
        const base: Record<string, number> = {};
        for (const t of targets) {
          if (values.only && t.variant !== values.only && t.variant !== 'bare') continue;
          const hub = hubs.find((h) => h.url === t.url);
          // Warm-up, then the measured run between two CPU readings (the run's own warm-up is off).
          await runLoad({ ...requestFor(t, stream, c), concurrency: c, warmupMs: 0, durationMs: 1000 });
          const before = t.redis ? await commandCounts(redisUrl) : undefined;
          const cpu0 = [processCpuMs(t.pid), namedCpuMs('postgres')];
          const r = await runLoad({ ...requestFor(t, stream, c), concurrency: c, warmupMs: 0, durationMs });
          const cpu1 = [processCpuMs(t.pid), namedCpuMs('postgres')];
          const ownUs = usPerRequest(cpu0[0], cpu1[0], r.sent);
          const pgUs = usPerRequest(cpu0[1], cpu1[1], r.sent);
          // Warm-up included: a rough view of the loop's pauses during this point.
          const loop = hub ? await hub.loopDelay() : undefined;
          let redis = '';
          if (before) {
            await new Promise((res) => setTimeout(res, 400));
            const p = perRequest(before, await commandCounts(redisUrl), r.sent);
            redis = `  redis ${p.total}/req, ${p.cpuUs ?? '?'} µs CPU/req (${p.top.map(([k, v]) => `${k} ${v}`).join(', ')})`;
          }
          base[t.variant] = r.rps;
          const vsBare = base.bare ? ` ${Math.round((r.rps / base.bare) * 100)}% of bare` : '';
          const cpu = `  cpu ${ownUs ?? '?'} µs/req${t.variant.startsWith('hub-full') ? ` pg ${pgUs ?? '?'}` : ''}`;
          const lag = loop ? `  loop delay p99 ${(loop.p99Us / 1000).toFixed(2)} ms max ${(loop.maxUs / 1000).toFixed(1)} ms` : '';
          process.stdout.write(
            `${stream ? 'stream' : 'json  '} c=${String(c).padEnd(3)} ${t.variant.padEnd(9)} ${String(r.rps).padStart(6)}/s  p50 ${(r.latency.p50Us / 1000).toFixed(3)} ms  p99 ${(r.latency.p99Us / 1000).toFixed(3)} ms${vsBare}${r.errors ? `  ERRORS ${r.errors}: ${r.firstError}` : ''}${cpu}${lag}${redis}\n`,
          );
        }
      }
    }
  } finally {
    for (const h of hubs) await h.stop().catch(() => undefined);
    for (const s of stops) await s().catch(() => undefined);
  }
  return 0;
}

if (isMain(import.meta.url)) process.exitCode = await main();
