/**
 * CPU time of processes from /proc (Linux), to report CPU per request: on a noisy shared machine
 * throughput moves with whatever else runs, while the CPU a request costs each process moves far
 * less. Resolution is the kernel's clock tick (10 ms); over a few thousand requests that is enough.
 */
import fs from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime + stime of one process in ms, or undefined where /proc cannot tell. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

/** Summed CPU ms of every process whose command name is `name` (all PostgreSQL backends, say). */
export function namedCpuMs(name: string): number | undefined {
  let total = 0;
  let found = false;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (fs.readFileSync(`/proc/${e}/comm`, 'utf8').trim() !== name) continue;
    } catch {
      continue;
    }
    const ms = processCpuMs(Number(e));
    if (ms !== undefined) {
      total += ms;
      found = true;
    }
  }
  return found ? total : undefined;
}

/** µs per request between two readings (undefined when either is missing). */
export function usPerRequest(before: number | undefined, after: number | undefined, requests: number): number | undefined {
  if (before === undefined || after === undefined || requests <= 0) return undefined;
  return Math.round(((after - before) * 1000) / requests);
}
