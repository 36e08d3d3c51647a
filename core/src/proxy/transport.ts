import { Agent, request, type Dispatcher } from 'undici';
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

  async send(req: UpstreamRequest, timeouts: ProviderTimeouts, signal: AbortSignal): Promise<UpstreamResponse> {
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher: this.agent(timeouts.connectMs),
        headersTimeout: timeouts.firstByteMs,
        bodyTimeout: timeouts.idleMs,
        signal,
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

export function toTransportError(err: unknown, signal?: AbortSignal): TransportError {
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

/** Read a body fully, up to `limit` bytes (the rest is discarded). */
export async function readBody(body: Readable, limit = 64 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (size + chunk.length > limit) {
      chunks.push(chunk.subarray(0, limit - size));
      body.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export type { Dispatcher };
