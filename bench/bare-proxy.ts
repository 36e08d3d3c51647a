/**
 * The practical ceiling for this stack: a bare Koa app that reads the request body, sends it
 * upstream over a pooled undici Agent configured like the gateway's transport, and hands back
 * the answer — buffered for JSON, piped for streams. No auth, no parsing, no accounting.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Koa from 'koa';
import { Agent, request } from 'undici';
import { forkTs, failChild, isMain, serveChild, type Child } from './child.ts';

/** A running bare proxy. */
export interface BareProxy {
  url: string;
  child: Child;
  stop(): Promise<void>;
}

/** Start the bare proxy in its own process, forwarding to `upstream`. */
export async function startBareProxy(upstream: string, providerKey: string): Promise<BareProxy> {
  const child = await forkTs(fileURLToPath(import.meta.url), { env: { BENCH_UPSTREAM: upstream, BENCH_PROVIDER_KEY: providerKey }, name: 'bare proxy' });
  return { url: child.info.url as string, child, stop: () => child.stop() };
}

async function main(): Promise<void> {
  const upstream = process.env.BENCH_UPSTREAM!;
  const key = process.env.BENCH_PROVIDER_KEY ?? '';
  // Same pool shape as core/src/proxy/transport.ts, so the comparison is about the pipeline.
  const agent = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, connections: 256, pipelining: 1 });
  const app = new Koa();
  app.silent = true;
  app.use(async (ctx) => {
    const chunks: Buffer[] = [];
    for await (const c of ctx.req as AsyncIterable<Buffer>) chunks.push(c);
    const res = await request(upstream + ctx.url, {
      method: ctx.method as 'POST',
      headers: {
        'content-type': 'application/json',
        'anthropic-version': String(ctx.get('anthropic-version') || '2023-06-01'),
        'x-api-key': key,
        'accept-encoding': 'identity',
      },
      body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks),
      dispatcher: agent,
    });
    ctx.status = res.statusCode;
    const type = String(res.headers['content-type'] ?? 'application/json');
    ctx.set('content-type', type);
    if (type.includes('text/event-stream')) {
      ctx.set('cache-control', 'no-cache');
      ctx.body = res.body;
    } else {
      ctx.body = Buffer.from(await res.body.arrayBuffer());
    }
  });
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  serveChild({ url: `http://127.0.0.1:${port}` }, {}, async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await agent.close();
  });
}

if (isMain(import.meta.url)) main().catch(failChild);
