/** The postmaster process: launch and wait for readiness, stop, stale-postmaster cleanup, /proc helpers. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sleep, tail, type Binaries, type EmbeddedPostgresLogger, type Ids, type Meta } from './shared.ts';

const LOG_FILE = 'cch-postgres.log';
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/**
 * Make sure no previous run blocks the start: delete a postmaster.pid whose process is gone or is
 * something else (PID reuse is common in containers), and shut down a postmaster orphaned by a
 * crashed or killed gateway. A postmaster still owned by a live process is left alone.
 */
export async function clearStalePostmaster(pgdata: string, meta: Meta, log: EmbeddedPostgresLogger): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  let content: string;
  try {
    content = fs.readFileSync(pidFile, 'utf8');
  } catch {
    return;
  }
  // Single-user mode writes a negative PID.
  const pid = Math.abs(Number.parseInt(content.split('\n')[0] ?? '', 10));
  if (!Number.isFinite(pid) || pid <= 0 || !isAlive(pid)) {
    log.warn({ clusterDir: pgdata, pid }, 'embedded postgres: removing stale postmaster.pid from a crashed run');
    fs.rmSync(pidFile, { force: true });
    return;
  }
  if (process.platform !== 'linux') return; // cannot tell who it is; let the server decide

  const cwd = readLink(`/proc/${pid}/cwd`);
  if (cwd !== fs.realpathSync(pgdata)) {
    log.warn({ clusterDir: pgdata, pid }, 'embedded postgres: postmaster.pid names an unrelated live process; removing it');
    fs.rmSync(pidFile, { force: true });
    return;
  }
  const ppid = parentPid(pid);
  if (ppid !== undefined && ppid === meta.ownerPid && isAlive(ppid)) {
    throw new Error(
      `embedded postgres: cluster ${pgdata} is already running (postmaster ${pid}) under process ${ppid}${ppid === process.pid ? ' (this process)' : ''}`,
    );
  }
  log.warn({ clusterDir: pgdata, pid }, 'embedded postgres: shutting down a postmaster orphaned by a previous run');
  await killAndWait(pid, () => !isAlive(pid), log);
}

/** The server could not bind its port; the caller may retry on another. */
export class PortInUseError extends Error {}

/** Start the postmaster and wait until it reports ready; stops it again on timeout. */
export async function launch(
  pgdata: string,
  port: number,
  bins: Binaries,
  ids: Ids | undefined,
  timeoutMs: number,
  log: EmbeddedPostgresLogger,
): Promise<ChildProcess> {
  const logPath = path.join(pgdata, LOG_FILE);
  rotateLog(logPath);
  const fd = fs.openSync(logPath, 'a', 0o600);
  const logStart = fs.fstatSync(fd).size;
  log.info({ port, clusterDir: pgdata, log: logPath }, 'embedded postgres: starting server');

  let child: ChildProcess;
  try {
    child = spawn(
      bins.postgres,
      [
        '-D', pgdata,
        '-p', String(port),
        '-c', 'listen_addresses=127.0.0.1',
        // TCP only: no socket files in /tmp to collide with or go stale.
        '-c', 'unix_socket_directories=',
      ],
      {
        cwd: '/',
        env: serverEnv(),
        // Own process group: a Ctrl-C aimed at the gateway must not kill the database before
        // the gateway has drained its connections; stop() (or the exit hook) does that.
        detached: true,
        stdio: ['ignore', fd, fd],
        ...(ids ?? {}),
      },
    );
  } finally {
    fs.closeSync(fd);
  }
  child.unref();

  let spawnError: Error | undefined;
  child.on('error', (err) => {
    spawnError = err;
  });

  const pidFile = path.join(pgdata, 'postmaster.pid');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const tailText = logTail(pgdata, logStart);
      const why = spawnError ? `could not run ${bins.postgres}: ${spawnError.message}` : `server exited (${child.exitCode ?? child.signalCode})`;
      const Err = /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(tailText) ? PortInUseError : Error;
      throw new Err(`embedded postgres: start failed on port ${port}: ${why}${tailText}`);
    }
    try {
      const lines = fs.readFileSync(pidFile, 'utf8').split('\n');
      // Line 8 is the postmaster status pg_ctl -w also waits for.
      if (Number.parseInt(lines[0] ?? '', 10) === child.pid && lines[7]?.trim() === 'ready') return child;
    } catch {
      /* not written yet */
    }
    if (Date.now() > deadline) {
      await stopProcess(child, log).catch(() => undefined);
      throw new Error(`embedded postgres: server did not become ready within ${timeoutMs} ms${logTail(pgdata, logStart)}`);
    }
    await sleep(25);
  }
}

function serverEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // PG* variables are meant for the gateway's clients, not for this private server.
    if (!k.startsWith('PG') && !k.startsWith('LC_') && k !== 'LANG') env[k] = v;
  }
  // English messages, so the port-conflict detection and log tails stay readable.
  env.LC_ALL = 'C';
  env.LANG = 'C';
  return env;
}

function rotateLog(logPath: string): void {
  try {
    if (fs.statSync(logPath).size > LOG_ROTATE_BYTES) fs.renameSync(logPath, `${logPath}.1`);
  } catch {
    /* no log yet */
  }
}

/** Stop a postmaster we started and wait for it to exit. */
export async function stopProcess(child: ChildProcess, log: EmbeddedPostgresLogger): Promise<void> {
  if (child.pid === undefined) return;
  await killAndWait(child.pid, () => child.exitCode !== null || child.signalCode !== null, log);
}

/** SIGINT (fast shutdown), escalating to SIGQUIT (immediate) and SIGKILL if the server hangs. */
async function killAndWait(pid: number, gone: () => boolean, log: EmbeddedPostgresLogger): Promise<void> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', 30_000],
    ['SIGQUIT', 10_000],
    ['SIGKILL', 5_000],
  ];
  for (const [signal, waitMs] of steps) {
    if (gone()) return;
    if (signal !== 'SIGINT') log.warn({ pid, signal }, 'embedded postgres: server did not stop in time; escalating');
    try {
      process.kill(pid, signal);
    } catch {
      return; // already exited
    }
    // Short polls rather than one long timer: a pending timer would keep the event loop alive.
    const deadline = Date.now() + waitMs;
    while (!gone() && Date.now() < deadline) await sleep(20);
  }
  if (!gone()) throw new Error(`embedded postgres: could not stop postmaster ${pid}`);
}

/** Whether `pid` is a live (non-zombie) process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isZombie(pid: number): boolean {
  return procStat(pid)?.state === 'Z';
}

function parentPid(pid: number): number | undefined {
  return procStat(pid)?.ppid;
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', ppid: Number.parseInt(rest[1] ?? '', 10) };
  } catch {
    return undefined;
  }
}

function readLink(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** Run `cmd` to completion (as `ids` when given), collecting stdout and stderr. */
export function run(cmd: string, args: string[], ids: Ids | undefined): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: '/', env: serverEnv(), stdio: ['ignore', 'pipe', 'pipe'], ...(ids ?? {}) });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
    child.once('error', (err) => reject(new Error(`embedded postgres: could not run ${cmd}: ${err.message}`)));
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The end of this start's server log, formatted for an error message. */
export function logTail(pgdata: string, from = 0): string {
  const logPath = path.join(pgdata, LOG_FILE);
  try {
    const size = fs.statSync(logPath).size;
    const start = Math.max(from, size - 8192);
    const buf = Buffer.alloc(size - start);
    const fd = fs.openSync(logPath, 'r');
    try {
      fs.readSync(fd, buf, 0, buf.length, start);
    } finally {
      fs.closeSync(fd);
    }
    const text = tail(buf.toString('utf8'), 30);
    return text ? `\n--- PostgreSQL log (${logPath}) ---\n${text}` : '';
  } catch {
    return '';
  }
}
