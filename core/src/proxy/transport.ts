import { Agent, request, type Dispatcher } from 'undici';
import type { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { ProviderTimeouts, UpstreamRequest } from '../provider.ts';

/** The upstream answer as the transport got it: status, headers, and an unread body stream. */
export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
}

export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'aborted',
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/**
 * A one-shot abort signal for one upstream request. undici takes any EventEmitter-like object as
 * `signal` (it reads `aborted` and `reason` and registers one 'abort' listener with `once`), so
 * this plain object stands in for an AbortController + AbortSignal (an EventTarget), which cost a
 * few microseconds per request. Nothing is built unless it is aborted; without a `reason`, undici
 * fails the request with its own RequestAbortedError.
 */
export class UpstreamSignal {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined;
  private others: (() => void)[] | undefined;

  on(event: string, fn: () => void): this {
    if (event !== 'abort' || this.aborted) return this;
    if (this.listener === undefined) this.listener = fn;
    else (this.others ??= []).push(fn);
    return this;
  }

  once(event: string, fn: () => void): this {
    return this.on(event, fn);
  }

  addListener(event: string, fn: () => void): this {
    return this.on(event, fn);
  }

  removeListener(event: string, fn: () => void): this {
    if (event !== 'abort') return this;
    if (this.listener === fn) this.listener = this.others?.shift();
    else if (this.others) {
      const i = this.others.indexOf(fn);
      if (i >= 0) this.others.splice(i, 1);
    }
    return this;
  }

  off(event: string, fn: () => void): this {
    return this.removeListener(event, fn);
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const first = this.listener;
    const others = this.others;
    this.listener = this.others = undefined;
    first?.();
    if (others) for (const fn of others) fn();
  }
}

/**
 * Sends upstream requests over pooled keep-alive connections (undici). One agent per connect
 * timeout; header (first byte) and body-idle timeouts are per request.
 */
export class Transport {
  private agents = new Map<number, Agent>();

  private agent(connectMs: number): Agent {
    let a = this.agents.get(connectMs);
    if (!a) {
      a = new Agent({
        connect: { timeout: connectMs },
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        // No cap per origin: a cap queues streams silently behind long-running ones.
        connections: null,
        pipelining: 1,
      });
      this.agents.set(connectMs, a);
    }
    return a;
  }

  async send(req: UpstreamRequest, timeouts: ProviderTimeouts, signal: UpstreamSignal | AbortSignal): Promise<UpstreamResponse> {
    try {
      const dispatcher = this.agent(timeouts.connectMs);
      const to = target(req.url);
      // With the URL already split, go to the agent directly: undici's `request(url)` parses the URL
      // and copies the options on every call. Anything unusual takes that path (and its errors).
      const res = to
        ? await dispatcher.request({
            origin: to.origin,
            path: to.path,
            method: req.method,
            headers: req.headers,
            body: req.body,
            headersTimeout: timeouts.firstByteMs,
            bodyTimeout: timeouts.idleMs,
            signal: signal as unknown as EventEmitter,
          })
        : await request(req.url, {
            method: req.method,
            headers: req.headers,
            body: req.body,
            dispatcher,
            headersTimeout: timeouts.firstByteMs,
            bodyTimeout: timeouts.idleMs,
            signal: signal as unknown as EventEmitter,
          });
      // An error on the body before anyone listens (client gone, reset) must not crash the process.
      res.body.on('error', noop);
      return { status: res.statusCode, headers: res.headers as IncomingHttpHeaders, body: res.body };
    } catch (err) {
      throw toTransportError(err, signal);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.close().catch(() => a.destroy())));
    this.agents.clear();
  }
}

function noop() {}

/** Origin and path of upstream URLs, as undici's `request(url)` derives them (by `new URL`). */
const targets = new Map<string, { origin: string; path: string } | null>();

function target(url: string): { origin: string; path: string } | null {
  let t = targets.get(url);
  if (t === undefined) {
    t = null;
    try {
      const u = new URL(url);
      if (u.protocol === 'http:' || u.protocol === 'https:') t = { origin: u.origin, path: u.search ? `${u.pathname}${u.search}` : u.pathname };
    } catch {
      /* undici reports it */
    }
    // Upstream URLs repeat (provider × endpoint × query); a bound keeps odd queries from piling up.
    if (targets.size >= 1000) targets.clear();
    targets.set(url, t);
  }
  return t;
}

export function toTransportError(err: unknown, signal?: { readonly aborted: boolean; readonly reason?: unknown }): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as { code?: string; name?: string; message?: string };
  if (signal?.aborted) {
    const reason = signal.reason as { name?: string } | undefined;
    if (reason?.name === 'TimeoutError') return new TransportError('timeout', 'upstream did not answer in time');
    return new TransportError('aborted', 'request aborted');
  }
  switch (e.code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new TransportError('timeout', 'upstream sent no response headers in time');
    case 'UND_ERR_BODY_TIMEOUT':
      return new TransportError('timeout', 'upstream stopped sending (idle timeout)');
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new TransportError('timeout', 'connecting to upstream timed out');
    case 'UND_ERR_ABORTED':
      return new TransportError('aborted', 'request aborted');
  }
  return new TransportError('network', `upstream connection failed: ${e.code ?? e.message ?? String(err)}`);
}

/**
 * Read a body fully, up to `limit` bytes (the rest is discarded). Plain listeners: an async
 * iterator costs a promise and a few closures per chunk. Rejects with the stream's error, or when
 * it closes before its end.
 */
export function readBody(body: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (body.destroyed) {
      reject(body.errored ?? prematureClose());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // Inline listeners only: named closures cost an extra `__name` call each under tsx.
    body.on('data', (chunk: Buffer) => {
      if (done) return;
      if (size + chunk.length > limit) {
        chunks.push(chunk.subarray(0, limit - size));
        done = true;
        resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, limit));
        body.destroy();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    body.on('end', () => {
      if (done) return;
      done = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    body.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
    body.on('close', () => {
      if (done) return;
      done = true;
      reject(prematureClose());
    });
  });
}

function prematureClose(): Error {
  return Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
}

export type { Dispatcher };
