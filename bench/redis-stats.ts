/**
 * Redis commands executed per request, from the server's `INFO commandstats` (commands run
 * inside Lua scripts count too). Spoken over a bare socket so the bench needs no Redis client.
 * The counters are server-wide: other clients of the same Redis inflate them.
 */
import net from 'node:net';

/** Calls per command name since the server started. */
export async function commandCounts(redisUrl: string): Promise<Map<string, number>> {
  const u = new URL(redisUrl);
  const text = await new Promise<string>((resolve, reject) => {
    const sock = net.connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    let buf = '';
    const auth = u.password ? `*3\r\n$4\r\nAUTH\r\n$${(u.username || 'default').length}\r\n${u.username || 'default'}\r\n$${decodeURIComponent(u.password).length}\r\n${decodeURIComponent(u.password)}\r\n` : '';
    sock.setTimeout(5000, () => sock.destroy(new Error('redis INFO timed out')));
    sock.on('error', reject);
    sock.on('connect', () => sock.write(`${auth}*3\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n$3\r\ncpu\r\n`));
    sock.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      const start = buf.indexOf('$');
      if (start < 0) return;
      const nl = buf.indexOf('\r\n', start);
      const len = Number(buf.slice(start + 1, nl));
      if (Buffer.byteLength(buf.slice(nl + 2)) >= len) {
        sock.end();
        resolve(buf.slice(nl + 2));
      }
    });
  });
  const counts = new Map<string, number>();
  let cpu = 0;
  for (const line of text.split('\r\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m) counts.set(m[1]!, Number(m[2]));
    const c = /^used_cpu_(?:user|sys):([\d.]+)$/.exec(line);
    if (c) cpu += Number(c[1]) * 1e6;
  }
  counts.set(CPU_KEY, cpu);
  return counts;
}

/** Redis server CPU (user + sys, µs) is carried in the counts under this name. */
const CPU_KEY = '_cpu_us';

/**
 * Commands per request between two readings, busiest first; `total` sums them; `cpuUs` is the
 * Redis server's CPU time per request (server-wide: other clients count too).
 */
export function perRequest(before: Map<string, number>, after: Map<string, number>, requests: number): { total: number; top: [string, number][]; cpuUs?: number } {
  const own = new Set(['info', 'auth', 'hello', 'client', 'ping', CPU_KEY]);
  const rows: [string, number][] = [];
  for (const [k, v] of after) {
    if (own.has(k)) continue;
    const d = (v - (before.get(k) ?? 0)) / Math.max(1, requests);
    if (d >= 0.01) rows.push([k, Math.round(d * 100) / 100]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  const cpu = (after.get(CPU_KEY) ?? 0) - (before.get(CPU_KEY) ?? 0);
  return { total: Math.round(rows.reduce((s, r) => s + r[1], 0) * 10) / 10, top: rows.slice(0, 6), ...(cpu > 0 ? { cpuUs: Math.round(cpu / Math.max(1, requests)) } : {}) };
}
