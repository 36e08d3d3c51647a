/**
 * "Test this provider": one small generation request (or the adapter's own probe) sent with the
 * provider's credential, answering whether it works — status, latency, error class, and the
 * provider's own error message, never its body or headers.
 *
 * SSRF-safe by default: the admin API must not become a way to reach the gateway's own network.
 * Loopback, private, link-local (cloud metadata), carrier-grade NAT, multicast and reserved
 * addresses are refused unless `settings.providerTests.allowPrivateNetworks` is true. The check runs
 * in the lookup the connection itself uses, so a name that resolves to a public address when
 * checked and a private one when connecting (DNS rebinding) is refused too. Redirects are not
 * followed; the answer is read up to 64 KB within API_TEST_TIMEOUT_MS.
 */
import dns from 'node:dns';
import net from 'node:net';
import { Agent, request } from 'undici';
import { matchEndpoint } from '../formats/index.ts';
import { redirectModel } from '../models.ts';
import type { ProviderAdapter, ProviderRecord, UpstreamErrorClass, UpstreamRequest } from '../provider.ts';

export interface ProviderTestOptions {
  timeoutMs: number;
  allowPrivateNetworks: boolean;
}

export interface ProviderTestOutcome {
  ok: boolean;
  /** Upstream HTTP status; null when no answer came (refused, network error, timeout). */
  status: number | null;
  latencyMs: number;
  /** Model the probe asked for (after the provider's redirects). */
  model: string | null;
  /** Why it failed (`auth`, `not_found`, `rate_limited`, `server`, `timeout`, `network`, `blocked`, …). */
  errorClass: string | null;
  /** What went wrong, in a sentence (the provider's own error message when it sent one). */
  message: string | null;
}

const MAX_BODY = 64 * 1024;
const MAX_MESSAGE = 300;

const blocked = new net.BlockList();
for (const [addr, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(addr, prefix, 'ipv4');
}
for (const [addr, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(addr, prefix, 'ipv6');
}

/** Whether an IP address is one a provider test may not reach by default. */
export function isPrivateAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  const v = net.isIP(ip);
  if (v === 4) return blocked.check(ip, 'ipv4');
  if (v === 6) return blocked.check(ip, 'ipv6');
  return true;
}

class BlockedAddress extends Error {
  constructor(host: string, ip: string) {
    super(
      `refused: ${host === ip ? ip : `${host} resolves to ${ip}, which`} is a loopback, private or link-local address; ` +
        'set settings.providerTests.allowPrivateNetworks: true in the YAML to test providers on your own network',
    );
    this.name = 'BlockedAddress';
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for net.connect that refuses private addresses (the connection uses what it returns). */
function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(new BlockedAddress(hostname, bad.address) as NodeJS.ErrnoException, []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
    callback(null, first.address, first.family);
  });
}

/** Default model per wire format when the provider names none. */
const DEFAULT_MODEL: Record<string, string> = {
  'anthropic-messages': 'claude-haiku-4-5',
  'openai-chat': 'gpt-5-mini',
  'openai-responses': 'gpt-5-mini',
  gemini: 'gemini-2.5-flash',
};

/** The model to probe with: asked for, else the provider's first plain (non-glob) model, else a default. */
function probeModel(adapter: ProviderAdapter, provider: ProviderRecord, asked: string | undefined): string {
  const plain = provider.models.find((m) => !/[*?[\]]/.test(m));
  return redirectModel(provider, asked ?? plain ?? DEFAULT_MODEL[adapter.format] ?? 'default') ?? 'default';
}

/** A minimal generation request in the adapter's own wire format (what a test sends by default). */
export function defaultProbe(adapter: ProviderAdapter, provider: ProviderRecord, model: string): UpstreamRequest {
  const text = 'Reply with OK.';
  let path: string;
  let body: Record<string, unknown>;
  switch (adapter.format) {
    case 'anthropic-messages':
      path = '/v1/messages';
      body = { model, max_tokens: 1, messages: [{ role: 'user', content: text }] };
      break;
    case 'openai-chat':
      path = '/v1/chat/completions';
      body = { model, max_completion_tokens: 16, messages: [{ role: 'user', content: text }] };
      break;
    case 'openai-responses':
      // Streamed, not stored, with instructions: what the ChatGPT backend insists on too.
      path = '/v1/responses';
      body = { model, instructions: text, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }], stream: true, store: false };
      break;
    default:
      path = `/v1beta/models/${model}:generateContent`;
      body = { contents: [{ role: 'user', parts: [{ text }] }], generationConfig: { maxOutputTokens: 1 } };
  }
  const endpoint = matchEndpoint('POST', path);
  if (!endpoint) throw new Error(`no endpoint for ${path}`);
  return adapter.buildRequest({
    provider,
    endpoint,
    headers: { 'content-type': 'application/json' },
    query: '',
    body: Buffer.from(JSON.stringify(body)),
    model,
    stream: body.stream === true,
  });
}

/** The provider's own error message from a JSON error body, if it has one. */
function errorMessage(body: Buffer): string | undefined {
  try {
    const j = JSON.parse(body.toString('utf8')) as { error?: unknown; message?: unknown; detail?: unknown };
    const e = j.error;
    const m = typeof e === 'string' ? e : e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : typeof j.message === 'string' ? j.message : typeof j.detail === 'string' ? j.detail : undefined;
    return m ? m.slice(0, MAX_MESSAGE) : undefined;
  } catch {
    return undefined;
  }
}

function networkClass(err: unknown): { errorClass: UpstreamErrorClass | 'blocked'; message: string } {
  let e: unknown = err;
  for (let i = 0; i < 3 && e; i++) {
    if (e instanceof BlockedAddress) return { errorClass: 'blocked', message: e.message };
    e = (e as { cause?: unknown }).cause;
  }
  const code = (err as { code?: string }).code ?? '';
  const name = (err as { name?: string }).name ?? '';
  if (name === 'TimeoutError' || name === 'AbortError' || /TIMEOUT/.test(code)) return { errorClass: 'timeout', message: 'no answer within the test timeout (API_TEST_TIMEOUT_MS)' };
  const message = err instanceof Error ? err.message : String(err);
  return { errorClass: 'network', message: `${code ? `${code}: ` : ''}${message}`.slice(0, MAX_MESSAGE) };
}

/**
 * Probe one provider. Never throws for upstream trouble: the outcome says what happened. The
 * credential goes only to the provider, never into the outcome.
 */
export async function testProvider(adapter: ProviderAdapter, provider: ProviderRecord, opts: ProviderTestOptions & { model?: string }): Promise<ProviderTestOutcome> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const model = probeModel(adapter, provider, opts.model);
  const fail = (errorClass: string, message: string, status: number | null = null): ProviderTestOutcome => ({ ok: false, status, latencyMs: ms(), model, errorClass, message });

  let req: UpstreamRequest;
  try {
    req = adapter.probe ? await adapter.probe(provider, model) : defaultProbe(adapter, provider, model);
  } catch (err) {
    return fail('client', `cannot build a test request: ${err instanceof Error ? err.message : String(err)}`);
  }
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return fail('client', `not a valid URL: ${provider.url}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail('client', `only http and https URLs can be tested, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // An IP literal never goes through the lookup below.
  if (!opts.allowPrivateNetworks && net.isIP(host) && isPrivateAddress(host)) return fail('blocked', new BlockedAddress(host, host).message);

  const agent = new Agent({
    connect: { timeout: opts.timeoutMs, ...(opts.allowPrivateNetworks ? {} : { lookup: guardedLookup }) },
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
  });
  try {
    const res = await request(url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher: agent,
      // undici 7 follows no redirects unless told to.
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (size < MAX_BODY) chunks.push(chunk.subarray(0, MAX_BODY - size));
      size += chunk.length;
    }
    const body = Buffer.concat(chunks);
    if (res.statusCode >= 200 && res.statusCode < 300) {
      // An in-stream error (SSE `event: error`, `response.failed`) is a failure too.
      const text = body.toString('utf8');
      if (/^event: (error|response\.failed)\b/m.test(text)) return fail('server', errorMessage(Buffer.from(text.split(/^data: /m)[1] ?? '')) ?? 'the stream ended with an error event', res.statusCode);
      return { ok: true, status: res.statusCode, latencyMs: ms(), model, errorClass: null, message: null };
    }
    if (res.statusCode >= 300 && res.statusCode < 400) return fail('client', `HTTP ${res.statusCode} redirect (not followed): check the URL`, res.statusCode);
    const cls = adapter.classifyError(res.statusCode, body, res.headers);
    return fail(cls, errorMessage(body) ?? `HTTP ${res.statusCode}`, res.statusCode);
  } catch (err) {
    const { errorClass, message } = networkClass(err);
    return fail(errorClass, message);
  } finally {
    agent.destroy().catch(() => undefined);
  }
}
