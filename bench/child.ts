/**
 * Every system under test runs in its own process, so the load generator never shares an event
 * loop with what it measures. This file is both sides of that: `forkTs` starts a TypeScript
 * entry under tsx and talks to it over IPC; `serveChild` is what such an entry calls.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (children run from here so `--import tsx` and workspace packages resolve). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Reply {
  id: number;
  ok: boolean;
  data?: unknown;
  error?: string;
}

/** A running child process that announced itself ready. */
export interface Child {
  readonly pid: number;
  readonly proc: ChildProcess;
  /** What the child sent with its ready message (its URL and anything else). */
  readonly info: Record<string, unknown>;
  /** Ask the child something; resolves with its answer. */
  call<T = unknown>(type: string, payload?: Record<string, unknown>): Promise<T>;
  /** Resident set size in bytes, read from /proc (0 where there is no /proc). */
  rss(): number;
  /** Ask the child to close cleanly; kill it if it takes longer than `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Resident set size of any process, in bytes, from /proc/<pid>/status. */
export function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface ForkOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** Label for error messages. */
  name?: string;
  /** Run `file` as plain JavaScript (a bundle), without tsx's loader. */
  plain?: boolean;
}

/** Fork a TypeScript entry under tsx and wait for its `{ type: 'ready' }` message. */
export function forkTs(file: string, opts: ForkOptions = {}): Promise<Child> {
  const name = opts.name ?? path.basename(file);
  const proc = fork(file, opts.args ?? [], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    execArgv: [...(opts.plain ? [] : ['--import', 'tsx']), ...(opts.nodeArgs ?? [])],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString('utf8')).slice(-4000);
    if (process.env.BENCH_CHILD_STDERR) process.stderr.write(c);
  });
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let seq = 0;
  let exited: Promise<void> | undefined;
  const exitPromise = new Promise<void>((r) => proc.once('exit', () => r()));

  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${opts.readyTimeoutMs ?? 60_000} ms\n${stderr}`));
    }, opts.readyTimeoutMs ?? 60_000);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      for (const w of waiting.values()) w.reject(new Error(`${name} exited (${code ?? signal})`));
      waiting.clear();
      reject(new Error(`${name} exited before it was ready (${code ?? signal})\n${stderr}`));
    });
    proc.on('message', (raw) => {
      const msg = raw as { type?: string } & Partial<Reply> & Record<string, unknown>;
      if (msg.type === 'ready') {
        clearTimeout(timer);
        resolve(child(msg));
        return;
      }
      if (msg.type === 'fatal') {
        clearTimeout(timer);
        reject(new Error(`${name} failed to start: ${String(msg.error)}`));
        return;
      }
      if (typeof msg.id === 'number') {
        const w = waiting.get(msg.id);
        waiting.delete(msg.id);
        if (!w) return;
        if (msg.ok) w.resolve(msg.data);
        else w.reject(new Error(`${name}: ${msg.error}`));
      }
    });

    const child = (info: Record<string, unknown>): Child => ({
      pid: proc.pid!,
      proc,
      info,
      call<T>(type: string, payload: Record<string, unknown> = {}) {
        return new Promise<T>((res, rej) => {
          const id = ++seq;
          waiting.set(id, { resolve: res as (v: unknown) => void, reject: rej });
          proc.send({ ...payload, type, id });
        });
      },
      rss: () => rssOf(proc.pid!),
      stop(graceMs = 20_000) {
        exited ??= (async () => {
          if (proc.exitCode !== null || proc.signalCode !== null) return;
          const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
          try {
            proc.send({ type: 'close', id: ++seq });
          } catch {
            proc.kill('SIGKILL');
          }
          await exitPromise;
          clearTimeout(t);
        })();
        return exited;
      },
    });
  });
}

/** Handlers a child entry answers; `close` is handled by {@link serveChild} itself. */
export type ChildHandlers = Record<string, (msg: Record<string, unknown>) => unknown>;

/**
 * The child side: announce readiness with `info`, answer the parent's calls, close on request
 * (or when the parent goes away, so no orphan keeps a port).
 */
export function serveChild(info: Record<string, unknown>, handlers: ChildHandlers, close: () => Promise<void>): void {
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    close()
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on('message', (raw) => {
    const msg = raw as { type: string; id?: number } & Record<string, unknown>;
    if (msg.type === 'close') return shutdown();
    const h = handlers[msg.type];
    Promise.resolve()
      .then(() => {
        if (!h) throw new Error(`unknown call ${msg.type}`);
        return h(msg);
      })
      .then(
        (data) => process.send?.({ id: msg.id, ok: true, data }),
        (err: unknown) => process.send?.({ id: msg.id, ok: false, error: (err as Error)?.message ?? String(err) }),
      );
  });
  process.on('disconnect', shutdown);
  process.send?.({ type: 'ready', ...info });
}

/** Report a start-up failure to the parent and exit. */
export function failChild(err: unknown): void {
  const error = (err as Error)?.stack ?? String(err);
  if (!process.send) {
    process.stderr.write(`${error}\n`);
    process.exit(1);
  }
  process.send({ type: 'fatal', error }, undefined, {}, () => process.exit(1));
}

/** True when `importMetaUrl` is the file node was asked to run. */
export function isMain(importMetaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && path.resolve(entry) === fileURLToPath(importMetaUrl);
}
