/**
 * A mock upstream for tests and benchmarks: a real HTTP server on 127.0.0.1 that speaks the
 * Anthropic Messages, OpenAI Chat Completions, OpenAI Responses, Gemini and Gemini Code Assist
 * APIs closely enough for their SDKs and CLIs, records every request, and injects faults on demand.
 *
 * Paths are accepted with or without the provider's version prefix (`/v1`, `/v1beta`), because
 * providers' base URLs differ in whether they include it.
 */
import { type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import * as zlib from 'node:zlib';
import { anthropicCountTokens, anthropicMessages, anthropicModels } from './mock/anthropic.ts';
import { codeAssist, geminiModelAction, geminiModels } from './mock/gemini.ts';
import { openaiChat, openaiModels } from './mock/openai-chat.ts';
import { openaiResponses } from './mock/openai-responses.ts';
import { type MockContext, TOOL_ARGS, isRecord, sendError } from './mock/shared.ts';
import type { MockApi, MockFault, MockSettings, MockUpstreamOptions, RecordedRequest } from './mock/types.ts';

export type { MockApi, MockFault, MockSettings, MockUpstreamOptions, MockUsage, RecordedRequest } from './mock/types.ts';

/** The arguments of every tool call the mock makes: `{ path: 'README.md' }`. */
export const MOCK_TOOL_ARGS: Readonly<Record<string, string>> = TOOL_ARGS;

/** Header that injects a fault into the request carrying it; the value is a JSON {@link MockFault}. */
export const MOCK_FAULT_HEADER = 'x-mock-fault';

/** A running mock upstream. */
export interface MockUpstream {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  readonly port: number;
  /** Requests received so far, oldest first (empty when recording is off). */
  readonly requests: RecordedRequest[];
  /** Total requests received, counted even when recording is off. */
  readonly requestCount: number;
  /** Live settings; change them between requests to alter replies. */
  readonly settings: MockSettings;
  /** The most recent recorded request. */
  lastRequest(): RecordedRequest | undefined;
  /** Inject `fault` into the next `times` (default 1) requests, after those already queued. */
  fail(fault: MockFault, times?: number): void;
  /** Replace the fault queue: each request takes the first fault whose `path` filter it matches. */
  setFaults(faults: MockFault[]): void;
  /** Forget recorded requests and queued faults. */
  reset(): void;
  /** Stop the server, destroying open connections so hanging requests end. Idempotent. */
  close(): Promise<void>;
}

type Route =
  | { api: 'anthropic'; op: 'messages' | 'count_tokens' }
  | { api: 'openai-chat'; op: 'chat' }
  | { api: 'openai-responses'; op: 'responses' }
  | { api: 'anthropic' | 'openai-chat' | 'gemini'; op: 'models'; id?: string }
  | { api: 'gemini'; op: 'model-action'; model: string; action: string }
  | { api: 'code-assist'; op: 'code-assist'; method: string };

const DEFAULT_MODELS = ['claude-sonnet-4-5', 'claude-haiku-4-5', 'gpt-5', 'gpt-5-codex', 'gemini-2.5-pro', 'gemini-2.5-flash'];

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Which API's error shape fits a request we cannot route. */
function guessApi(pathname: string, h: IncomingHttpHeaders): MockApi {
  if (h['anthropic-version'] !== undefined || h['x-api-key'] !== undefined) return 'anthropic';
  if (h['x-goog-api-key'] !== undefined || /^\/v1(beta|alpha)\//.test(pathname)) return 'gemini';
  return 'openai-chat';
}

function matchRoute(method: string, pathname: string, url: URL, h: IncomingHttpHeaders): Route | undefined {
  const ca = /\/v1internal:([A-Za-z]+)$/.exec(pathname);
  if (ca) return { api: 'code-assist', op: 'code-assist', method: ca[1]! };
  // Long-running operations are polled by resource path (GET /v1internal/operations/{id}).
  const op = /\/v1internal\/(operations\/[^/]+)$/.exec(pathname);
  if (op && method === 'GET') return { api: 'code-assist', op: 'code-assist', method: op[1]! };
  // Anywhere in the path, so Vertex-style `/v1/projects/…/models/x:generateContent` works too.
  const gm = /(?:^|\/)models\/([^/:]+):([A-Za-z]+)$/.exec(pathname);
  if (gm && method === 'POST') return { api: 'gemini', op: 'model-action', model: decodeURIComponent(gm[1]!), action: gm[2]! };

  let p = pathname.replace(/\/+$/, '').replace(/^\/backend-api\/codex(?=\/)/, '');
  for (let m = /^\/(?:v1|v1beta|v1alpha|openai)(?=\/)/.exec(p); m; m = /^\/(?:v1|v1beta|v1alpha|openai)(?=\/)/.exec(p)) p = p.slice(m[0].length);
  if (method === 'POST') {
    if (p === '/messages') return { api: 'anthropic', op: 'messages' };
    if (p === '/messages/count_tokens') return { api: 'anthropic', op: 'count_tokens' };
    if (p === '/chat/completions') return { api: 'openai-chat', op: 'chat' };
    if (p === '/responses') return { api: 'openai-responses', op: 'responses' };
  }
  if (method === 'GET') {
    const models = /^\/models(?:\/(.+))?$/.exec(p);
    if (models) {
      const api =
        h['anthropic-version'] !== undefined
          ? 'anthropic'
          : /^\/v1(beta|alpha)\//.test(pathname) || h['x-goog-api-key'] !== undefined || url.searchParams.has('key')
            ? 'gemini'
            : 'openai-chat';
      const id = models[1] === undefined ? undefined : decodeURIComponent(models[1]).replace(/^models\//, '');
      return { api, op: 'models', id };
    }
  }
  return undefined;
}

/** The key a client presented, in the places each API's clients put it. */
function presentedKey(api: MockApi, h: IncomingHttpHeaders, url: URL): string | undefined {
  const auth = header(h, 'authorization');
  const bearer = auth !== undefined && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '') : undefined;
  switch (api) {
    case 'anthropic':
      return header(h, 'x-api-key') ?? bearer;
    case 'gemini':
      return header(h, 'x-goog-api-key') ?? url.searchParams.get('key') ?? bearer;
    case 'code-assist':
      return bearer;
    default:
      return bearer ?? header(h, 'api-key');
  }
}

function authMessage(api: MockApi, key: string | undefined): string {
  switch (api) {
    case 'anthropic':
      return 'invalid x-api-key';
    case 'gemini':
      return 'API key not valid. Please pass a valid API key.';
    case 'code-assist':
      return 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.';
    default:
      return key === undefined
        ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        : `Incorrect API key provided: ${key.slice(0, 3)}***${key.slice(-2)}. You can find your API key at https://platform.openai.com/account/api-keys.`;
  }
}

/** Undo a request content-encoding; zstd only where this Node has it (22.15+). */
function decode(raw: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.trim().toLowerCase()) {
    case undefined:
    case '':
    case 'identity':
      return raw;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(raw);
    case 'deflate':
      return zlib.inflateSync(raw);
    case 'br':
      return zlib.brotliDecompressSync(raw);
    case 'zstd': {
      const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
      if (zstd) return zstd(raw);
      throw new Error('zstd request bodies need Node 22.15 or later');
    }
    default:
      throw new Error(`unsupported content-encoding ${encoding}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseFaultHeader(value: string): MockFault {
  const f: unknown = JSON.parse(value);
  if (!isRecord(f)) throw new Error('not a JSON object');
  return f as MockFault;
}

function faultMatches(f: MockFault, path: string): boolean {
  if (f.path === undefined) return true;
  if (typeof f.path === 'string') return path.includes(f.path);
  f.path.lastIndex = 0;
  return f.path.test(path);
}

/**
 * Start a mock upstream on 127.0.0.1 (a free port unless `opts.port` is given).
 *
 * @example
 * const mock = await createMockUpstream({ expectKey: 'sk-provider' });
 * mock.fail({ status: 529 });
 * // … point the hub at mock.url, send a request, inspect mock.requests …
 * await mock.close();
 */
export async function createMockUpstream(opts: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const settings: MockSettings = {
    text: opts.text ?? 'Hello from mock',
    thinking: opts.thinking ?? 'Let me think.',
    usage: { input: 12, output: 5, cacheCreation: 0, cacheCreation1h: 0, cacheRead: 0, reasoning: 0, ...opts.usage },
    events: opts.events ?? 5,
    expectKey: opts.expectKey,
    chunkDelayMs: opts.chunkDelayMs ?? 0,
    toolCall: opts.toolCall ?? false,
    record: opts.record ?? true,
    models: opts.models ?? DEFAULT_MODELS,
  };
  const requests: RecordedRequest[] = [];
  const faults: MockFault[] = [];
  const sockets = new Set<Socket>();
  let requestCount = 0;
  let seq = 0;
  const id = (prefix: string): string => `${prefix}${++seq}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that vanishes mid-reply must not surface as an unhandled 'error'.
    res.on('error', () => {});
    const socket = req.socket;
    const raw = await readBody(req);
    requestCount++;
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const url = new URL(path, 'http://mock.invalid');
    const route = matchRoute(method, url.pathname, url, req.headers);
    const api: MockApi = route?.api ?? guessApi(url.pathname, req.headers);

    let badRequest: string | undefined;
    let json: unknown;
    try {
      const body = decode(raw, header(req.headers, 'content-encoding'));
      if (body.length > 0) json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      badRequest = `Request body is not valid JSON: ${(err as Error).message}`;
    }
    let fault: MockFault | undefined;
    const faultHeader = header(req.headers, MOCK_FAULT_HEADER);
    if (faultHeader !== undefined) {
      try {
        fault = parseFaultHeader(faultHeader);
      } catch (err) {
        badRequest = `Invalid ${MOCK_FAULT_HEADER} header: ${(err as Error).message}`;
      }
    } else if (faults.length > 0) {
      const i = faults.findIndex((f) => faultMatches(f, path));
      if (i >= 0) fault = faults.splice(i, 1)[0];
    }
    if (settings.record) requests.push({ method, path, headers: req.headers, body: raw, json, api, fault, receivedAt: Date.now() });

    const ctx: MockContext = { req, res, socket, url, api, body: isRecord(json) ? json : {}, settings, fault, id };
    if (fault?.delayMs !== undefined && fault.delayMs > 0) {
      await sleep(fault.delayMs, undefined, { ref: false });
      if (socket.destroyed) return;
    }
    if (fault?.reset === 'before-headers') return void socket.resetAndDestroy();
    if (fault?.hang === 'before-headers') return;
    if (fault?.status !== undefined) return sendError(ctx, fault.status, undefined, fault.headers, fault.body);

    if (route === undefined) return sendError(ctx, 404, `No mock route for ${method} ${url.pathname}`);
    if (settings.expectKey !== undefined) {
      const key = presentedKey(api, req.headers, url);
      if (key !== settings.expectKey) return sendError(ctx, 401, authMessage(api, key));
    }
    if (badRequest !== undefined) return sendError(ctx, 400, badRequest);
    if (json !== undefined && !isRecord(json)) return sendError(ctx, 400, 'Request body must be a JSON object');

    switch (route.op) {
      case 'messages':
        return anthropicMessages(ctx);
      case 'count_tokens':
        return anthropicCountTokens(ctx);
      case 'chat':
        return openaiChat(ctx);
      case 'responses':
        return openaiResponses(ctx);
      case 'models':
        return route.api === 'anthropic' ? anthropicModels(ctx, route.id) : route.api === 'gemini' ? geminiModels(ctx, route.id) : openaiModels(ctx, route.id);
      case 'model-action':
        return geminiModelAction(ctx, route.model, route.action);
      case 'code-assist':
        return codeAssist(ctx, route.method);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Never crash the test process: report our own bug as a 500 if we still can.
      if (!res.headersSent && !req.socket.destroyed) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `mock upstream failed: ${(err as Error)?.message ?? String(err)}`, type: 'mock_error' } }));
      } else {
        req.socket.destroy();
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get requestCount() {
      return requestCount;
    },
    settings,
    lastRequest: () => requests.at(-1),
    fail(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    setFaults(list) {
      faults.splice(0, faults.length, ...list);
    },
    reset() {
      requests.length = 0;
      faults.length = 0;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
