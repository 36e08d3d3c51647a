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
    sock.on('connect', () => sock.write(`${auth}*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n`));
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
  for (const line of text.split('\r\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m) counts.set(m[1]!, Number(m[2]));
  }
  return counts;
}

/** Commands per request between two readings, busiest first; `total` sums them. */
export function perRequest(before: Map<string, number>, after: Map<string, number>, requests: number): { total: number; top: [string, number][] } {
  const own = new Set(['info', 'auth', 'hello', 'client', 'ping']);
  const rows: [string, number][] = [];
  for (const [k, v] of after) {
    if (own.has(k)) continue;
    const d = (v - (before.get(k) ?? 0)) / Math.max(1, requests);
    if (d >= 0.01) rows.push([k, Math.round(d * 100) / 100]);
  }
  rows.sort((a, b) => b[1] - a[1]);
  return { total: Math.round(rows.reduce((s, r) => s + r[1], 0) * 10) / 10, top: rows.slice(0, 6) };
}
