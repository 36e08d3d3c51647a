import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '@cch/core';
import { rowFromJson, type LogRow } from './row.ts';

/**
 * An append-only, fsync'ed overflow for request-log rows the database could not take in time.
 *
 * Rows go to segment files `<dir>/request-log-<pid>-<startMs>-<seq>.ndjson` (one JSON row per
 * line); a segment is sealed when replay begins or when it reaches `segmentBytes`, replayed in
 * order and deleted once every row is in the database. Segments left by a process that is gone
 * (or by an earlier writer in this process) are claimed with an atomic rename and replayed first.
 */
export interface Spool {
  /** Append rows and fsync; resolves once they are durable. */
  append(rows: LogRow[]): Promise<void>;
  /** Synchronous append + fsync, for rows that arrive after close began. */
  appendSync(rows: LogRow[]): void;
  /** Rows spooled and not yet replayed. */
  rows(): number;
  bytes(): number;
  segments(): number;
  /** Replay every segment into `write` in order; throws (keeping its place) when a write fails. */
  replay(write: (rows: LogRow[]) => Promise<void>, batchSize: number): Promise<number>;
  close(): Promise<void>;
}

interface Segment {
  file: string;
  rows: number;
  bytes: number;
  /** Lines already written to the database (replay resumes here). */
  done: number;
  sealed: boolean;
  fh?: fs.promises.FileHandle;
}

/** Segments this process is writing right now, so a second writer in the same process leaves them alone. */
const liveFiles = new Set<string>();

const NAME = /^request-log-(\d+)-(\d+)-(\d+)\.ndjson$/;

export interface SpoolOptions {
  dir: string;
  /** Refuse appends past this many bytes on disk (0 = no limit). */
  maxBytes: number;
  /** Start a new segment past this size. */
  segmentBytes?: number;
}

/** Open the spool directory and claim leftover segments from dead processes. */
export function openSpool(opts: SpoolOptions, logger: Logger): Spool {
  const segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
  const startMs = Date.now();
  let seq = 0;
  const segments: Segment[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  let closed = false;

  const nextName = () => path.join(opts.dir, `request-log-${process.pid}-${startMs}-${String(seq++).padStart(6, '0')}.ndjson`);
  const totalBytes = () => segments.reduce((n, s) => n + s.bytes, 0);

  claimLeftovers();

  /** Serialise spool mutations: appends, seals and deletes never interleave. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = chain.then(fn, fn);
    chain = p.catch(() => undefined);
    return p;
  }

  function claimLeftovers(): void {
    const found: { file: string; pid: number; ms: number; seq: number }[] = [];
    // Created on first use: a gateway whose database keeps up never touches the disk.
    if (!fs.existsSync(opts.dir)) return;
    for (const name of fs.readdirSync(opts.dir)) {
      const m = NAME.exec(name);
      if (!m) continue;
      const file = path.join(opts.dir, name);
      const pid = Number(m[1]);
      if (liveFiles.has(file)) continue;
      if (pid !== process.pid && isAlive(pid)) continue; // a sibling sharing the data dir owns it
      found.push({ file, pid, ms: Number(m[2]), seq: Number(m[3]) });
    }
    found.sort((a, b) => a.ms - b.ms || a.seq - b.seq);
    for (const f of found) {
      const target = nextName();
      try {
        fs.renameSync(f.file, target); // atomic: exactly one claimant wins
      } catch {
        continue;
      }
      const text = fs.readFileSync(target, 'utf8');
      const rows = countLines(text);
      if (rows === 0) {
        fs.rmSync(target, { force: true });
        continue;
      }
      liveFiles.add(target);
      segments.push({ file: target, rows, bytes: Buffer.byteLength(text), done: 0, sealed: true });
    }
    if (segments.length) {
      logger.warn({ segments: segments.length, rows: segments.reduce((n, s) => n + s.rows, 0), dir: opts.dir }, 'request log: replaying spooled rows left by an earlier run');
    }
  }

  function openSegment(): Segment {
    fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    const seg: Segment = { file: nextName(), rows: 0, bytes: 0, done: 0, sealed: false };
    liveFiles.add(seg.file);
    segments.push(seg);
    return seg;
  }

  function current(): Segment {
    const last = segments[segments.length - 1];
    return last && !last.sealed && last.bytes < segmentBytes ? last : openSegment();
  }

  function encode(rows: LogRow[]): string {
    return rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  }

  function checkRoom(bytes: number): void {
    if (opts.maxBytes > 0 && totalBytes() + bytes > opts.maxBytes) {
      throw new Error(`request log spool is full (${totalBytes()} of ${opts.maxBytes} bytes)`);
    }
  }

  async function seal(seg: Segment): Promise<void> {
    seg.sealed = true;
    const fh = seg.fh;
    seg.fh = undefined;
    await fh?.close();
  }

  async function remove(seg: Segment): Promise<void> {
    await seal(seg);
    await fs.promises.rm(seg.file, { force: true });
    liveFiles.delete(seg.file);
    segments.splice(segments.indexOf(seg), 1);
  }

  return {
    append(rows) {
      if (!rows.length) return Promise.resolve();
      return serial(async () => {
        const text = encode(rows);
        const bytes = Buffer.byteLength(text);
        checkRoom(bytes);
        const seg = current();
        const isNew = !seg.fh && seg.bytes === 0;
        seg.fh ??= await fs.promises.open(seg.file, 'a', 0o600);
        await seg.fh.write(text);
        await seg.fh.sync();
        if (isNew) fsyncDir(opts.dir);
        seg.rows += rows.length;
        seg.bytes += bytes;
      });
    },
    appendSync(rows) {
      if (!rows.length) return;
      const text = encode(rows);
      const bytes = Buffer.byteLength(text);
      checkRoom(bytes);
      // A separate segment: the async handle of the current one may still be in use.
      const seg = openSegment();
      seg.sealed = true;
      const fd = fs.openSync(seg.file, 'a', 0o600);
      try {
        fs.writeSync(fd, text);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fsyncDir(opts.dir);
      seg.rows = rows.length;
      seg.bytes = bytes;
      // Once closed, the next writer (even in this process) must be free to claim it.
      if (closed) liveFiles.delete(seg.file);
    },
    rows: () => segments.reduce((n, s) => n + s.rows - s.done, 0),
    bytes: totalBytes,
    segments: () => segments.length,
    async replay(write, batchSize) {
      let written = 0;
      for (;;) {
        const seg = await serial(async () => {
          const first = segments[0];
          if (first && !first.sealed) await seal(first);
          return first;
        });
        if (!seg) return written;
        const lines = (await fs.promises.readFile(seg.file, 'utf8')).split('\n').filter((l) => l.trim());
        const rows: LogRow[] = [];
        let bad = 0;
        for (const line of lines) {
          let row: LogRow | undefined;
          try {
            row = rowFromJson(JSON.parse(line));
          } catch {
            row = undefined;
          }
          if (row) rows.push(row);
          else bad++;
        }
        // A crash mid-append can leave a torn last line; it never reached fsync, so nothing acknowledged is lost.
        if (bad) logger.warn({ file: seg.file, lines: bad }, 'request log spool: skipped unreadable lines');
        seg.rows = rows.length;
        while (seg.done < rows.length) {
          const batch = rows.slice(seg.done, seg.done + batchSize);
          await write(batch);
          seg.done += batch.length;
          written += batch.length;
        }
        await serial(() => remove(seg));
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await serial(async () => {
        for (const seg of segments) {
          await seal(seg);
          liveFiles.delete(seg.file);
        }
      });
    },
  };
}

function countLines(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) if (line.trim()) n++;
  return n;
}

function fsyncDir(dir: string): void {
  // Makes a new segment's directory entry durable; not supported everywhere (e.g. Windows).
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
