import zlib from 'node:zlib';
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import type { Context, Next } from 'koa';
import type { Logger } from '../log.ts';
import type { Pipeline } from '../pipeline.ts';
import type { ProxyContext, SettleHandler } from '../plugin.ts';
import type { Exchange, SettledExchange } from '../exchange.ts';
import { matchEndpoint, isProxyPath, formatForPath, type Endpoint } from '../formats/index.ts';
import { renderError } from '../formats/errors.ts';
import { GatewayError, clientErrors } from '../errors.ts';
import { dropPendingStream, forward, sendPendingStream, type ForwardDeps } from './forward.ts';
import { listModels } from './list-models.ts';

const inflaters: Record<string, (b: Buffer) => Promise<Buffer>> = {
  gzip: promisify(zlib.gunzip),
  'x-gzip': promisify(zlib.gunzip),
  deflate: promisify(zlib.inflate),
  br: promisify(zlib.brotliDecompress),
};

export interface ProxyHandlerDeps extends ForwardDeps {
  pipeline: Pipeline;
  settleHandlers: SettleHandler[];
  maxBodyBytes: number;
  /** In-flight exchanges, for graceful shutdown. */
  inflight: Set<Exchange>;
}

/**
 * Koa middleware for the proxy surface: match the endpoint, read and parse the body, run the
 * phases and the proxy, and settle the exchange exactly once when the response is over.
 */
export function createProxyHandler(deps: ProxyHandlerDeps) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const endpoint = matchEndpoint(ctx.method, ctx.path);
    if (!endpoint) {
      if (!isProxyPath(ctx.path)) return next();
      const format = formatForPath(ctx.path, ctx.headers);
      ctx.status = 404;
      ctx.body = renderError(format, 404, 'not_found', `no such endpoint: ${ctx.method} ${ctx.path}`);
      return;
    }
    const ex = createExchange(ctx, endpoint);
    const pctx = ctx as ProxyContext;
    pctx.exchange = ex;
    deps.inflight.add(ex);
    ctx.res.on('close', () => {
      deps.inflight.delete(ex);
      void settle(ctx, ex, deps);
    });
    try {
      await readRequest(ctx, ex, deps.maxBodyBytes);
      const terminal = endpoint.operation === 'list_models' ? async () => listModels(pctx, deps.providers) : () => forward(pctx, deps);
      await deps.pipeline.run(pctx, terminal);
      // A stream answer starts now that every middleware is done with the response.
      sendPendingStream(ctx);
    } catch (err) {
      dropPendingStream(ctx);
      respondWithError(ctx, ex, err, deps.logger);
    }
  };
}

function createExchange(ctx: Context, endpoint: Endpoint): Exchange {
  let qs = ctx.querystring;
  if (qs.includes('key=')) {
    const q = new URLSearchParams(qs);
    q.delete('key');
    qs = q.toString();
  }
  return {
    id: ctx.state.requestId as string,
    startedAt: new Date(),
    t0: (ctx.state.t0 as number | undefined) ?? performance.now(),
    endpoint,
    clientFormat: endpoint.format,
    headers: ctx.headers,
    query: qs ? `?${qs}` : '',
    userAgent: String(ctx.headers['user-agent'] ?? ''),
    raw: Buffer.alloc(0),
    body: undefined,
    model: endpoint.pathModel,
    stream: endpoint.pathStream,
    attempts: [],
    decision: [],
    state: {},
  };
}

async function readRequest(ctx: Context, ex: Exchange, limit: number): Promise<void> {
  if (ctx.method === 'GET') return;
  const declared = Number(ctx.get('content-length'));
  if (declared > limit) throw clientErrors.tooLarge(`request body exceeds ${limit} bytes`);
  let raw = await readStream(ctx.req, limit);
  const encoding = ctx.get('content-encoding').toLowerCase();
  if (encoding && encoding !== 'identity') {
    const inflate = inflaters[encoding];
    if (!inflate) throw new GatewayError(415, 'invalid_request', `unsupported content-encoding "${encoding}"`);
    try {
      raw = await inflate(raw);
    } catch {
      throw clientErrors.badRequest(`request body is not valid ${encoding}`);
    }
  }
  ex.raw = raw;
  if (raw.length === 0) throw clientErrors.badRequest('request body is empty; expected a JSON object');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw clientErrors.badRequest(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw clientErrors.badRequest('request body must be a JSON object');
  const b = body as Record<string, unknown>;
  ex.body = b;
  if (ex.endpoint.method) {
    // Code Assist wraps the Gemini request: { model, project, request }.
    if (typeof b.model === 'string') ex.model = b.model;
  } else if (!ex.endpoint.pathModel) {
    if (b.model !== undefined && typeof b.model !== 'string') throw clientErrors.badRequest('model: must be a string');
    ex.model = b.model as string | undefined;
    if (ex.endpoint.operation === 'generate' && !ex.model) throw clientErrors.badRequest('model: field required');
    ex.stream = b.stream === true;
  }
}

/**
 * The request body, up to `limit` bytes. Plain listeners: an async iterator costs a promise and a
 * few closures per chunk. Past the limit the read fails with 413 (and the rest is not read).
 */
function readStream(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // Inline listeners only: named closures cost an extra `__name` call each under tsx.
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        reject(clientErrors.tooLarge(`request body exceeds ${limit} bytes`));
        // What leaving a `for await` loop early did (stream.destroyer): detach the socket, so the
        // 413 can still be sent on it, and destroy the request.
        (req as { socket: unknown }).socket = null;
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      // These listeners stay on the request for its whole life (a stream may run for minutes):
      // they must not keep a second copy of a large body.
      chunks.length = 0;
      resolve(body);
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
    req.on('close', () => {
      if (done) return;
      done = true;
      reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

function respondWithError(ctx: Context, ex: Exchange, err: unknown, logger: Logger): void {
  if (ctx.headerSent || !ctx.writable) {
    logger.warn({ requestId: ex.id, err }, 'error after the response started');
    ctx.res.destroy();
    return;
  }
  let ge: GatewayError;
  if (err instanceof GatewayError) ge = err;
  else {
    logger.error({ requestId: ex.id, err }, 'unexpected error in the proxy pipeline');
    ge = new GatewayError(500, 'internal', `internal error (request ${ex.id})`);
  }
  ex.errorClass ??= ge.kind;
  ex.errorMessage ??= ge.message;
  ctx.status = ge.status;
  ctx.set(ge.headers);
  ctx.body = renderError(ex.clientFormat, ge.status, ge.kind, ge.message);
}

async function settle(ctx: Context, ex: Exchange, deps: ProxyHandlerDeps): Promise<void> {
  deps.finalizers.get(ex)?.();
  const status = ctx.res.statusCode;
  const s = ex as SettledExchange;
  s.status = status;
  s.durationMs = Math.round(performance.now() - ex.t0);
  if (!ex.outcome) {
    if (!ctx.res.writableFinished) s.outcome = 'aborted';
    else if (ex.attempts.length === 0 && status >= 400) s.outcome = 'rejected';
    else if (status >= 400 || ex.errorMessage) s.outcome = 'failed';
    else s.outcome = 'completed';
  }
  // Started in order, run side by side (see SetupContext.onSettle): their store calls share round trips.
  const failed = (err: unknown) => deps.logger.error({ requestId: ex.id, err }, 'settle handler failed');
  let running: Promise<void>[] | undefined;
  for (const h of deps.settleHandlers) {
    try {
      const r = h(s);
      if (r) (running ??= []).push(r.catch(failed));
    } catch (err) {
      failed(err);
    }
  }
  if (running) await Promise.all(running);
  if (!deps.logger.isLevelEnabled('info')) return;
  const u = ex.usage;
  deps.logger.info(
    {
      requestId: ex.id,
      status,
      outcome: s.outcome,
      format: ex.clientFormat,
      model: ex.model,
      provider: ex.provider?.name,
      attempts: ex.attempts.length,
      user: ex.identity?.userName,
      ms: s.durationMs,
      ttfbMs: ex.ttfbMs,
      in: u?.inputTokens,
      out: u?.outputTokens,
      error: ex.errorMessage,
    },
    'request',
  );
}
