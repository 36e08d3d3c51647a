import zlib from 'node:zlib';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Context } from 'koa';
import type { Logger } from '../log.ts';
import type { ProxyContext } from '../plugin.ts';
import type { AttemptRecord, Candidate, Exchange, RoutePlan } from '../exchange.ts';
import type { ProviderDirectory } from '../providers.ts';
import { adapterServes, mayFailOver, type ProviderAdapter, type ProviderRecord, type StreamUsageParser, type UpstreamErrorClass } from '../provider.ts';
import { GatewayError } from '../errors.ts';
import { renderStreamError } from '../formats/errors.ts';
import type { Endpoint } from '../formats/index.ts';
import { clientErrorStatus, createStreamTranslator, translateErrorBody, translateRequest, translateResponse, upstreamTarget } from '../formats/translate/index.ts';
import { groupsIntersect, providerAllowsModel, redirectModel } from '../models.ts';
import { setForwardableResponseHeaders } from './headers.ts';
import { Transport, TransportError, UpstreamSignal, readBody, type UpstreamResponse } from './transport.ts';

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
 * The client side of one request: whether it left before its response was complete, and the
 * signal of the upstream call to cut when it does (the attempt in flight, or the one streaming).
 */
interface ClientWatch {
  gone: boolean;
  current: UpstreamSignal | undefined;
}

/**
 * The terminal of the pipeline: walk the route plan, send to each candidate until one answers,
 * and hand its answer to the client — buffered for JSON, chunk by chunk for streams. Retryable
 * failures before the first byte fail over; after it, the stream ends with an error event.
 */
export async function forward(ctx: ProxyContext, deps: ForwardDeps): Promise<void> {
  const ex = ctx.exchange;
  const plan = ex.plan ?? defaultPlan(ex, deps.providers);
  const res = ctx.res;
  const client: ClientWatch = { gone: false, current: undefined };
  res.on('close', () => {
    if (res.writableFinished) return;
    client.gone = true;
    client.current?.abort();
  });
  let failed: UpstreamFailure | undefined;
  for (let n = 0; n < plan.maxAttempts; n++) {
    const cand = plan.next(failed?.attempt);
    if (!cand) break;
    const result = await attempt(ctx, ex, cand, deps, client, n + 1 < plan.maxAttempts);
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
  client: ClientWatch,
  mayRetry: boolean,
): Promise<'done' | 'aborted' | UpstreamFailure> {
  const { provider, adapter } = cand;
  ex.provider = provider;
  ex.providerFormat = adapter.format;
  const up = upstreamCall(ex, cand);
  const record: AttemptRecord = { provider: provider.name, providerId: provider.id, model: cand.model, status: undefined, errorClass: undefined, error: undefined, latencyMs: 0 };
  ex.attempts.push(record);
  const t = performance.now();
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
  // Aborted when the client leaves, or (non-streaming) when the total timeout passes.
  const signal = new UpstreamSignal();
  client.current = signal;
  const totalMs = up.stream ? undefined : provider.timeouts.totalMs;
  const timer = totalMs === undefined ? undefined : setTimeout(abortForTimeout, totalMs, signal);
  try {
    let res: UpstreamResponse;
    try {
      res = await deps.transport.send(req, provider.timeouts, signal);
    } catch (err) {
      const e = err as TransportError;
      if (e.kind === 'aborted' || client.gone) {
        finish(record, t, undefined, undefined, 'client aborted');
        ex.outcome = 'aborted';
        return 'aborted';
      }
      finish(record, t, undefined, e.kind, e.message);
      deps.logger.warn({ requestId: ex.id, provider: provider.name, errorClass: e.kind }, e.message);
      return { attempt: record };
    }
    if (res.status >= 400) {
      const body = await readBody(res.body, ERROR_BODY_LIMIT).catch(() => Buffer.alloc(0));
      const cls = adapter.classifyError(res.status, body, res.headers);
      finish(record, t, res.status, cls, errorSummary(body));
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
      finish(record, t, res.status);
      ex.ttfbMs = Math.round(performance.now() - ex.t0);
      ex.servedModel = cand.model;
      pipeStream(ctx, ex, cand, res, deps, record, client);
      return 'done';
    }
    let body: Buffer;
    try {
      body = await readBody(res.body);
    } catch (err) {
      const e = err instanceof TransportError ? err : new TransportError(signal.aborted && !client.gone ? 'timeout' : 'network', String((err as Error).message));
      if (client.gone) {
        finish(record, t, res.status, undefined, 'client aborted');
        ex.outcome = 'aborted';
        return 'aborted';
      }
      finish(record, t, res.status, e.kind === 'aborted' ? 'network' : e.kind, `reading upstream body failed: ${e.message}`);
      return { attempt: record };
    }
    ex.ttfbMs = Math.round(performance.now() - ex.t0);
    const encoding = res.headers['content-encoding'];
    if (encoding && encoding !== 'identity') body = decompress(body, String(encoding));
    if (body.length === 0) {
      finish(record, t, res.status, 'server', 'upstream sent an empty body');
      return { attempt: record };
    }
    finish(record, t, res.status);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    ex.usage = adapter.extractUsage(parsed);
    ex.servedModel = adapter.extractModel?.(parsed) ?? cand.model;
    ctx.status = res.status;
    setForwardableResponseHeaders(ctx.res, res.headers, true);
    if (up.translated) {
      if (parsed === undefined) {
        finish(record, t, res.status, 'server', 'upstream sent a body that is not JSON');
        return { attempt: record };
      }
      ctx.body = translateResponse(adapter.format, ex.clientFormat, parsed, { model: ex.model, requestId: ex.id, codeAssist: ex.endpoint.method !== undefined });
    } else ctx.body = body;
    return 'done';
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Close an attempt's record: its status, error, and latency since `t`. */
function finish(record: AttemptRecord, t: number, status: number | undefined, cls?: UpstreamErrorClass, error?: string): void {
  record.status = status;
  record.errorClass = cls;
  record.error = error;
  record.latencyMs = Math.round((performance.now() - t) * 100) / 100;
}

function abortForTimeout(signal: UpstreamSignal): void {
  signal.abort(new DOMException('upstream did not answer in time', 'TimeoutError'));
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

const PENDING = Symbol('cch.pendingStream');

type WithPending = { [PENDING]?: StreamRelay };

/**
 * Send the stream `forward` prepared, if any. The proxy handler calls this once the whole pipeline
 * has returned — when Koa would have started to send a stream body — so headers that middleware set
 * after `next()` still go out, and an error thrown on the way back still gets its error response.
 */
export function sendPendingStream(ctx: Context): void {
  const relay = (ctx as WithPending)[PENDING];
  if (!relay) return;
  (ctx as WithPending)[PENDING] = undefined;
  relay.start();
}

/** Drop the stream `forward` prepared (the pipeline failed after it): the upstream is cut. */
export function dropPendingStream(ctx: Context): void {
  const relay = (ctx as WithPending)[PENDING];
  if (!relay) return;
  (ctx as WithPending)[PENDING] = undefined;
  relay.src.destroy();
}

/**
 * Pass a stream to the client chunk by chunk, feeding the adapter's usage parser on the way.
 * Backpressure is kept; a client that leaves aborts the upstream at once; an upstream that
 * breaks or goes idle ends the client's stream with a well-formed error event.
 *
 * The chunks go straight into the Node response (`ctx.respond = false`): a Readable handed to Koa
 * costs a PassThrough plus `stream.pipeline`'s AbortController and DOMException per response. The
 * status and headers are set on the context now, as they were for Koa; nothing is read from the
 * upstream until the pipeline has returned (see {@link sendPendingStream}).
 */
function pipeStream(ctx: ProxyContext, ex: Exchange, cand: Candidate, res: UpstreamResponse, deps: ForwardDeps, record: AttemptRecord, client: ClientWatch): void {
  const translator = cand.adapter.format === ex.clientFormat ? undefined : streamTranslator(ex, cand.adapter.format);
  const relay = new StreamRelay(ctx, ex, cand, res.body, translator, deps, record, client);
  deps.finalizers.set(ex, () => relay.collect());
  const out = ctx.res;
  ctx.status = res.status;
  setForwardableResponseHeaders(out, res.headers, false);
  if (translator) ctx.set('content-type', translator.contentType);
  // Koa's default type for a stream body.
  else if (!out.hasHeader('content-type')) out.setHeader('content-type', 'application/octet-stream');
  // As Koa's body setter did when a stream replaced an earlier body.
  if (ctx.body != null) out.removeHeader('content-length');
  ctx.set('cache-control', 'no-cache');
  ctx.set('x-accel-buffering', 'no');
  (ctx as WithPending)[PENDING] = relay;
}

/** One stream on its way from the upstream to the client (methods, not closures: see pipeStream). */
class StreamRelay {
  readonly ctx: ProxyContext;
  readonly ex: Exchange;
  readonly cand: Candidate;
  readonly src: Readable;
  readonly out: ServerResponse;
  readonly parser: StreamUsageParser;
  readonly translator: StreamTranslatorLike | undefined;
  readonly deps: ForwardDeps;
  readonly record: AttemptRecord;
  readonly client: ClientWatch;
  /** `ctx.body` when the stream was prepared: a middleware that replaces it answers instead. */
  readonly body: unknown;
  /** The response was ended (by the stream's end or an error event): write nothing more. */
  ended = false;

  constructor(ctx: ProxyContext, ex: Exchange, cand: Candidate, src: Readable, translator: StreamTranslatorLike | undefined, deps: ForwardDeps, record: AttemptRecord, client: ClientWatch) {
    this.ctx = ctx;
    this.ex = ex;
    this.cand = cand;
    this.src = src;
    this.out = ctx.res;
    this.parser = cand.adapter.createStreamParser();
    this.translator = translator;
    this.deps = deps;
    this.record = record;
    this.client = client;
    this.body = ctx.body;
  }

  /** Usage, model and in-stream error as the parser saw them (also called at settle time). */
  collect(): void {
    const { ex, parser } = this;
    ex.usage = parser.usage() ?? ex.usage;
    ex.servedModel = parser.model() ?? ex.servedModel;
    const inStreamError = parser.error?.();
    if (inStreamError && !ex.errorMessage) {
      ex.errorClass = 'overloaded';
      ex.errorMessage = inStreamError;
    }
  }

  start(): void {
    const { ctx, src, out } = this;
    if (ctx.body !== this.body) {
      // A middleware answered instead on the pipeline's way back: Koa sends that.
      src.destroy();
      return;
    }
    ctx.respond = false;
    const code = out.statusCode;
    const empty = code === 204 || code === 205 || code === 304;
    // What Koa does before it would pipe a body: nothing for a gone client, a HEAD request or an empty status.
    if (!ctx.writable || empty || ctx.method === 'HEAD') {
      src.destroy();
      if (empty) ctx.body = null; // strips the content headers
      out.end();
      return;
    }
    if (src.destroyed) {
      // Broke between its headers and now (its error went to the transport's no-op listener).
      this.error(src.errored ?? Object.assign(new Error('upstream stream closed'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      return;
    }
    out.on('drain', () => src.resume());
    src.on('error', (err: Error & { code?: string }) => this.error(err));
    src.on('end', () => this.end());
    src.on('data', (chunk: Buffer) => this.data(chunk));
  }

  data(chunk: Buffer): void {
    this.parser.push(chunk);
    const data = this.translator ? this.translator.push(chunk) : chunk;
    if (data.length && !this.out.write(data)) this.src.pause();
  }

  end(): void {
    this.collect();
    const tail = this.translator?.end();
    if (this.ended) return;
    this.ended = true;
    this.out.end(tail);
  }

  error(err: Error & { code?: string }): void {
    this.collect();
    const { ex, out } = this;
    // A client that left (or a response already over) needs no error event.
    if (this.ended || this.client.gone || out.destroyed) return;
    const timeout = err.code === 'UND_ERR_BODY_TIMEOUT';
    const cls: UpstreamErrorClass = timeout ? 'timeout' : 'network';
    ex.errorClass = cls;
    ex.errorMessage = timeout ? 'upstream went idle mid-stream' : `upstream stream failed: ${err.code ?? err.message}`;
    ex.outcome = 'failed';
    this.record.errorClass = cls;
    this.record.error = ex.errorMessage;
    this.deps.logger.warn({ requestId: ex.id, provider: this.cand.provider.name, errorClass: ex.errorClass }, ex.errorMessage);
    this.ended = true;
    out.end(renderStreamError(ex.clientFormat, timeout ? 'timeout' : 'upstream', ex.errorMessage));
  }
}

function sendUpstreamError(
  ctx: ProxyContext,
  r: { status: number; headers: UpstreamResponse['headers']; body: Buffer },
  translate?: { from: Exchange['clientFormat']; to: Exchange['clientFormat'] },
): void {
  const encoding = r.headers['content-encoding'];
  const body = encoding && encoding !== 'identity' ? decompress(r.body, String(encoding)) : r.body;
  setForwardableResponseHeaders(ctx.res, r.headers, true);
  if (translate) {
    ctx.status = clientErrorStatus(translate.to, r.status);
    ctx.body = translateErrorBody(translate.from, translate.to, r.status, body);
    return;
  }
  ctx.status = r.status;
  ctx.body = body;
}

/** What the relay needs of a stream translator. */
interface StreamTranslatorLike {
  push(chunk: Buffer): string;
  end(): string;
  contentType: string;
}

/** Translator from the provider's stream format to the client's, with the client's content type. */
function streamTranslator(ex: Exchange, from: Exchange['clientFormat']): StreamTranslatorLike {
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
    push(chunk) {
      return t.push(chunk);
    },
    end() {
      return t.end();
    },
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
  return {
    maxAttempts: Math.max(1, Math.min(3, list.length)),
    next() {
      return list[i++];
    },
  };
}
