/**
 * Portkey's open-source gateway (`@portkey-ai/gateway`), started headless from its package's
 * own server entry in a child process, for a side-by-side run on the same mock. Requests reach
 * the mock through Portkey's `x-portkey-provider` and `x-portkey-custom-host` headers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPO_ROOT, rssOf } from './child.ts';

/** A running Portkey gateway. */
export interface Portkey {
  url: string;
  version: string;
  pid: number;
  rss(): number;
  /** Headers that make Portkey forward an Anthropic request to `upstream` (a base URL without /v1). */
  headersFor(upstream: string, providerKey: string): Record<string, string>;
  stop(): Promise<void>;
}

/** Where the package's server entry is, or why it cannot be used. */
export function locatePortkey(): { entry: string; version: string } | { reason: string } {
  try {
    const require = createRequire(path.join(REPO_ROOT, 'package.json'));
    const pkgFile = require.resolve('@portkey-ai/gateway/package.json');
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { version: string; bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : (Object.values(pkg.bin ?? {})[0] ?? 'build/start-server.js');
    return { entry: path.join(path.dirname(pkgFile), bin), version: pkg.version };
  } catch (err) {
    return { reason: `@portkey-ai/gateway is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Start Portkey headless on a free port; rejects with the reason when it cannot start. */
export async function startPortkey(timeoutMs = 30_000): Promise<Portkey> {
  const found = locatePortkey();
  if ('reason' in found) throw new Error(found.reason);
  const port = await freePort();
  const proc: ChildProcess = spawn(process.execPath, [found.entry, `--port=${port}`, '--headless'], {
    cwd: path.dirname(found.entry),
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`portkey exited with ${proc.exitCode}: ${stderr}`);
    try {
      await fetch(`${url}/`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`portkey did not answer on ${url} within ${timeoutMs} ms: ${stderr}`);
      }
      await sleep(100);
    }
  }
  return {
    url,
    version: found.version,
    pid: proc.pid!,
    rss: () => rssOf(proc.pid!),
    headersFor: (upstream, providerKey) => ({
      'x-portkey-provider': 'anthropic',
      'x-portkey-custom-host': `${upstream}/v1`,
      'x-api-key': providerKey,
    }),
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
