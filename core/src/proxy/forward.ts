import { PassThrough } from 'node:stream';
import zlib from 'node:zlib';
import type { Logger } from '../log.ts';
import type { ProxyContext } from '../plugin.ts';
import type { AttemptRecord, Candidate, Exchange, RoutePlan } from '../exchange.ts';
import type { ProviderDirectory } from '../providers.ts';
import { adapterServes, mayFailOver, type ProviderAdapter, type ProviderRecord, type UpstreamErrorClass } from '../provider.ts';
import { GatewayError } from '../errors.ts';
import { renderStreamError } from '../formats/errors.ts';
import type { Endpoint } from '../formats/index.ts';
import { clientErrorStatus, createStreamTranslator, translateErrorBody, translateRequest, translateResponse, upstreamTarget } from '../formats/translate/index.ts';
import { groupsIntersect, providerAllowsModel, redirectModel } from '../models.ts';
import { forwardableResponseHeaders } from './headers.ts';
import { Transport, TransportError, readBody, type UpstreamResponse } from './transport.ts';

const ERROR_BODY_LIMIT = 1024 * 1024;

export interface ForwardDeps {
  transport: Transport;
  providers: ProviderDirectory;
  logger: Logger;
  /** Called at settle time to collect usage that streams produced. */
  finalizers: WeakMap<Exchange, () => void>;
}

interface UpstreamFailure {
  attempt: AttemptRecord;
  response?: { status: number; headers: UpstreamResponse['headers']; body: Buffer };
}

/**
 * The terminal of the pipeline: walk the route plan, send to each candidate until one answers,
 * and hand its answer to the client — buffered for JSON, chunk by chunk for streams. Retryable
 * failures before the first byte fail over; after it, the stream ends with an error event.
 */
export async function forward(ctx: ProxyContext, deps: ForwardDeps): Promise<void> {
  const ex = ctx.exchange;
  const plan = ex.plan ?? defaultPlan(ex, deps.providers);
  const clientGone = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableFinished) clientGone.abort();
  };
  ctx.res.once('close', onClose);
  let failed: UpstreamFailure | undefined;
  for (let n = 0; n < plan.maxAttempts; n++) {
    const cand = plan.next(failed?.attempt);
    if (!cand) break;
    const result = await attempt(ctx, ex, cand, deps, clientGone.signal, n + 1 < plan.maxAttempts);
    if (result === 'done') {
      plan.succeeded?.(ex.attempts[ex.attempts.length - 1]!);
      return;
    }
    if (result === 'aborted') return;
    failed = result;
  }
  if (!failed) {
    throw new GatewayError(404, 'not_found', ex.model ? `no provider serves model "${ex.model}" for this key` : 'no provider is available for this request');
  }
  plan.exhausted?.(failed.attempt);
  ex.errorClass = failed.attempt.errorClass;
  ex.errorMessage = failed.attempt.error;
  if (failed.attempt.errorClass === 'auth') throw credentialRejected(failed.attempt);
  if (failed.response) {
    const adapter = deps.providers.adapter(ex.provider?.type ?? '');
    const translate = adapter && adapter.format !== ex.clientFormat ? { from: adapter.format, to: ex.clientFormat } : undefined;
    return sendUpstreamError(ctx, failed.response, translate);
  }
  const status = failed.attempt.errorClass === 'timeout' ? 504 : 502;
  throw new GatewayError(status, failed.attempt.errorClass === 'timeout' ? 'timeout' : 'upstream', `all providers failed; last: ${failed.attempt.provider}: ${failed.attempt.error}`);
}

async function attempt(
  ctx: ProxyContext,
  ex: Exchange,
  cand: Candidate,
  deps: ForwardDeps,
  clientGone: AbortSignal,
  mayRetry: boolean,
): Promise<'done' | 'aborted' | UpstreamFailure> {
  const { provider, adapter } = cand;
  ex.provider = provider;
  ex.providerFormat = adapter.format;
  const up = upstreamCall(ex, cand);
  const record: AttemptRecord = { provider: provider.name, providerId: provider.id, model: cand.model, status: undefined, errorClass: undefined, error: undefined, latencyMs: 0 };
  ex.attempts.push(record);
  const t = performance.now();
  const finish = (status: number | undefined, cls?: UpstreamErrorClass, error?: string) => {
    record.status = status;
    record.errorClass = cls;
    record.error = error;
    record.latencyMs = Math.round((performance.now() - t) * 100) / 100;
  };
  const req = adapter.buildRequest({
    provider,
    method: up.endpoint.httpMethod ?? 'POST',
    endpoint: up.endpoint,
    headers: ex.headers,
    query: up.query,
    body: up.body,
    model: cand.model,
    stream: up.stream,
  });
  req.headers['accept-encoding'] = 'identity';
  const guard = attemptSignal(clientGone, up.stream ? undefined : provider.timeouts.totalMs);
  try {
    return await exchangeWith(guard.signal);
  } finally {
    guard.done();
  }

  async function exchangeWith(signal: AbortSignal): Promise<'done' | 'aborted' | UpstreamFailure> {
    let res: UpstreamResponse;
    try {
      res = await deps.transport.send(req, provider.timeouts, signal);
    } catch (err) {
      const e = err as TransportError;
      if (e.kind === 'aborted' || clientGone.aborted) {
        finish(undefined, undefined, 'client aborted');
        ex.outcome = 'aborted';
        return 'aborted';
      }
      finish(undefined, e.kind, e.message);
      deps.logger.warn({ requestId: ex.id, provider: provider.name, errorClass: e.kind }, e.message);
      return { attempt: record };
    }
    if (res.status >= 400) {
      const body = await readBody(res.body, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0));
      const cls = adapter.classifyError(res.status, body, res.headers);
      finish(res.status, cls, errorSummary(body));
      const ra = Number(res.headers['retry-after']);
      if (Number.isFinite(ra)) record.retryAfterSeconds = ra;
      const failure = { attempt: record, response: { status: res.status, headers: res.headers, body } };
      if (mayFailOver(cls) && mayRetry) return failure;
      ex.errorClass = cls;
      ex.errorMessage = record.error;
      if (cls === 'auth') throw credentialRejected(record);
      sendUpstreamError(ctx, failure.response, up.translated ? { from: adapter.format, to: ex.clientFormat } : undefined);
      return 'done';
    }
    const streaming = isStreamResponse(res, up);
    if (streaming) {
      finish(res.status);
      ex.ttfbMs = Math.round(performance.now() - ex.t0);
      ex.servedModel = cand.model;
      pipeStream(ctx, ex, cand, res, deps, record);
      return 'done';
    }
    let body: Buffer;
    try {
      body = await readBody(res.body);
    } catch (err) {
      const e = err instanceof TransportError ? err : new TransportError(signal.aborted && !clientGone.aborted ? 'timeout' : 'network', String((err as Error).message));
      if (clientGone.aborted) {
        finish(res.status, undefined, 'client aborted');
        ex.outcome = 'aborted';
        return 'aborted';
      }
      finish(res.status, e.kind === 'aborted' ? 'network' : e.kind, `reading upstream body failed: ${e.message}`);
      return { attempt: record };
    }
    ex.ttfbMs = Math.round(performance.now() - ex.t0);
    const encoding = res.headers['content-encoding'];
    if (encoding && encoding !== 'identity') body = decompress(body, String(encoding));
    if (body.length === 0) {
      finish(res.status, 'server', 'upstream sent an empty body');
      return { attempt: record };
    }
    finish(res.status);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    ex.usage = adapter.extractUsage(parsed);
    ex.servedModel = adapter.extractModel?.(parsed) ?? cand.model;
    ctx.status = res.status;
    ctx.set(forwardableResponseHeaders(res.headers, true));
    if (up.translated) {
      if (parsed === undefined) {
        finish(res.status, 'server', 'upstream sent a body that is not JSON');
        return { attempt: record };
      }
      ctx.body = translateResponse(adapter.format, ex.clientFormat, parsed, { model: ex.model, requestId: ex.id, codeAssist: ex.endpoint.method !== undefined });
    } else ctx.body = body;
    return 'done';
  }
}

/**
 * The signal of one attempt: aborted when the client leaves, or (non-streaming) when the total
 * timeout passes. Plain timers and listeners, released by `done()`: Node 20's AbortSignal.any
 * keeps every combined signal alive, which grows memory under load.
 */
function attemptSignal(clientGone: AbortSignal, totalMs: number | undefined): { signal: AbortSignal; done(): void } {
  if (totalMs === undefined) return { signal: clientGone, done: () => {} };
  const ctl = new AbortController();
  const onGone = () => ctl.abort(clientGone.reason);
  clientGone.addEventListener('abort', onGone, { once: true });
  const timer = setTimeout(() => ctl.abort(new DOMException('upstream did not answer in time', 'TimeoutError')), totalMs);
  return {
    signal: ctl.signal,
    done() {
      clearTimeout(timer);
      clientGone.removeEventListener('abort', onGone);
    },
  };
}

/**
 * A provider refusing its own credential is the hub's problem, not the client's: passing the 401
 * on would make Claude Code ask its user to log in again.
 */
function credentialRejected(a: AttemptRecord): GatewayError {
  return new GatewayError(502, 'upstream', `provider "${a.provider}" refused the hub's account (HTTP ${a.status ?? '?'}: ${a.error ?? 'no details'}); ask an admin to check its credential or quota`);
}

function isStreamResponse(res: UpstreamResponse, up: UpstreamCall): boolean {
  const ct = String(res.headers['content-type'] ?? '');
  return ct.includes('text/event-stream') || (up.stream && up.endpoint.pathStream);
}

/** What goes upstream for one candidate: the client's request as is, or translated. */
interface UpstreamCall {
  endpoint: Endpoint;
  query: string;
  body: Buffer;
  stream: boolean;
  translated: boolean;
}

function upstreamCall(ex: Exchange, cand: Candidate): UpstreamCall {
  const { adapter } = cand;
  if (adapter.format === ex.clientFormat) {
    const body = cand.model !== ex.model && ex.body ? withModel(ex, cand.model) : ex.raw;
    return { endpoint: ex.endpoint, query: ex.query, body, stream: ex.stream, translated: false };
  }
  if (ex.endpoint.operation !== 'generate' || !ex.body) {
    throw new GatewayError(400, 'invalid_request', `${ex.endpoint.operation} cannot be translated from ${ex.clientFormat} to ${adapter.format} (provider "${cand.provider.name}")`);
  }
  const tr = translateRequest(ex.clientFormat, adapter.format, ex.body, { model: cand.model ?? ex.endpoint.pathModel, stream: ex.stream });
  if (tr.dropped.length) ex.decision.push({ translated: { from: ex.clientFormat, to: adapter.format, provider: cand.provider.name, dropped: tr.dropped } });
  return { endpoint: tr.upstream.endpoint, query: tr.upstream.query, body: Buffer.from(JSON.stringify(tr.body)), stream: tr.stream, translated: true };
}

/**
 * Whether a provider can serve this exchange: natively, or — when it accepts translation from the
 * client's format — through translation (generation only).
 */
export function canServe(
  ex: Pick<Exchange, 'clientFormat' | 'endpoint'> & { stream?: boolean },
  provider: ProviderRecord,
  adapter: ProviderAdapter,
  model: string | undefined,
): boolean {
  if (adapter.format === ex.clientFormat) return adapterServes(adapter, ex.endpoint);
  const t = provider.acceptsTranslation;
  if (!(t === true || (Array.isArray(t) && t.includes(ex.clientFormat)))) return false;
  if (ex.endpoint.operation !== 'generate') return false;
  return adapterServes(adapter, upstreamTarget(adapter.format, model ?? ex.endpoint.pathModel, ex.stream ?? false).endpoint);
}

/**
 * Pass a stream to the client chunk by chunk, feeding the adapter's usage parser on the way.
 * Backpressure is kept; a client that leaves aborts the upstream at once; an upstream that
 * breaks or goes idle ends the client's stream with a well-formed error event.
 */
function pipeStream(ctx: ProxyContext, ex: Exchange, cand: Candidate, res: UpstreamResponse, deps: ForwardDeps, record: AttemptRecord): void {
  const parser = cand.adapter.createStreamParser();
  const src = res.body;
  const out = new PassThrough();
  const translator = cand.adapter.format === ex.clientFormat ? undefined : streamTranslator(ex, cand.adapter.format);
  const collect = () => {
    ex.usage = parser.usage() ?? ex.usage;
    ex.servedModel = parser.model() ?? ex.servedModel;
    const inStreamError = parser.error?.();
    if (inStreamError && !ex.errorMessage) {
      ex.errorClass = 'overloaded';
      ex.errorMessage = inStreamError;
    }
  };
  deps.finalizers.set(ex, collect);
  src.on('data', (chunk: Buffer) => {
    parser.push(chunk);
    const data = translator ? translator.push(chunk) : chunk;
    if (data.length && !out.write(data)) src.pause();
  });
  out.on('drain', () => src.resume());
  src.on('end', () => {
    collect();
    out.end(translator?.end());
  });
  src.on('error', (err: Error & { code?: string }) => {
    collect();
    if (out.destroyed) return;
    const timeout = err.code === 'UND_ERR_BODY_TIMEOUT';
    const cls: UpstreamErrorClass = timeout ? 'timeout' : 'network';
    ex.errorClass = cls;
    ex.errorMessage = timeout ? 'upstream went idle mid-stream' : `upstream stream failed: ${err.code ?? err.message}`;
    ex.outcome = 'failed';
    record.errorClass = cls;
    record.error = ex.errorMessage;
    deps.logger.warn({ requestId: ex.id, provider: cand.provider.name, errorClass: ex.errorClass }, ex.errorMessage);
    out.end(renderStreamError(ex.clientFormat, timeout ? 'timeout' : 'upstream', ex.errorMessage));
  });
  out.on('close', () => {
    if (!src.readableEnded) src.destroy();
  });
  ctx.status = res.status;
  ctx.set(forwardableResponseHeaders(res.headers, false));
  if (translator) ctx.set('content-type', translator.contentType);
  ctx.set('cache-control', 'no-cache');
  ctx.set('x-accel-buffering', 'no');
  ctx.body = out;
}

function sendUpstreamError(
  ctx: ProxyContext,
  r: { status: number; headers: UpstreamResponse['headers']; body: Buffer },
  translate?: { from: Exchange['clientFormat']; to: Exchange['clientFormat'] },
): void {
  const encoding = r.headers['content-encoding'];
  const body = encoding && encoding !== 'identity' ? decompress(r.body, String(encoding)) : r.body;
  ctx.set(forwardableResponseHeaders(r.headers, true));
  if (translate) {
    ctx.status = clientErrorStatus(translate.to, r.status);
    ctx.body = translateErrorBody(translate.from, translate.to, r.status, body);
    return;
  }
  ctx.status = r.status;
  ctx.body = body;
}

/** Translator from the provider's stream format to the client's, with the client's content type. */
function streamTranslator(ex: Exchange, from: Exchange['clientFormat']) {
  const opts = ex.body?.stream_options as { include_usage?: unknown } | undefined;
  const geminiArray = ex.clientFormat === 'gemini' && !/[?&]alt=sse\b/.test(ex.query);
  const t = createStreamTranslator(from, ex.clientFormat, {
    model: ex.model,
    requestId: ex.id,
    includeUsage: opts?.include_usage === true,
    geminiArray,
    codeAssist: ex.endpoint.method !== undefined,
  });
  return {
    push: (chunk: Buffer) => t.push(chunk),
    end: () => t.end(),
    contentType: geminiArray ? 'application/json; charset=utf-8' : 'text/event-stream; charset=utf-8',
  };
}

function decompress(body: Buffer, encoding: string): Buffer {
  try {
    if (encoding.includes('gzip')) return zlib.gunzipSync(body);
    if (encoding.includes('br')) return zlib.brotliDecompressSync(body);
    if (encoding.includes('deflate')) return zlib.inflateSync(body);
  } catch {
    /* fall through: hand over what we got */
  }
  return body;
}

function errorSummary(body: Buffer): string {
  const text = body.subarray(0, 2000).toString('utf8');
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message);
    if (m) return m.slice(0, 500);
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || 'empty error body';
}

/** The request body with `model` replaced (only when a redirect changed it). */
function withModel(ex: Exchange, model: string | undefined): Buffer {
  if (ex.endpoint.format === 'gemini' && ex.endpoint.pathModel) return ex.raw; // model lives in the path
  return Buffer.from(JSON.stringify({ ...ex.body, model }));
}

/** Core's fallback route when no route plugin set a plan: by priority, same-format first, then translation. */
export function defaultPlan(ex: Exchange, providers: ProviderDirectory): RoutePlan {
  const list: Candidate[] = [];
  for (const p of providers.list()) {
    const adapter = providers.adapter(p.type);
    if (!p.enabled || !adapter) continue;
    if (ex.identity && !groupsIntersect(ex.identity.providerGroups, p.groups)) continue;
    const model = redirectModel(p, ex.model);
    if (!providerAllowsModel(p, ex.model, model) || !canServe(ex, p, adapter, model)) continue;
    list.push({ provider: p, adapter, model });
  }
  // Same-format providers first at equal priority (the list is sorted by priority already).
  list.sort((a, b) => a.provider.priority - b.provider.priority || Number(a.adapter.format !== ex.clientFormat) - Number(b.adapter.format !== ex.clientFormat));
  let i = 0;
  return { maxAttempts: Math.max(1, Math.min(3, list.length)), next: () => list[i++] };
}
