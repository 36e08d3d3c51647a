/** Small helpers shared by the format codecs. */
import { tokenCount, type Usage } from '../../usage.ts';
import type { WireFormat } from '../index.ts';
import type { IrEffort, IrMessage, IrSignature, IrSource, IrText, IrTool } from './ir.ts';

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter(isRecord) : [];
}

/** First defined value among several spellings of a field (Gemini accepts camelCase and snake_case). */
export function pick(o: Record<string, unknown>, ...keys: string[]): unknown {
  for (const k of keys) if (o[k] !== undefined) return o[k];
  return undefined;
}

/**
 * Collects what a translation leaves out. Every field or feature that cannot be expressed on the
 * other side is named here deliberately, so nothing disappears by accident.
 */
export interface Drops {
  add(what: string): void;
  list(): string[];
}

export function createDrops(): Drops {
  const seen = new Set<string>();
  return { add: (w) => void seen.add(w), list: () => [...seen] };
}

/**
 * Note every top-level key that the parser neither handles nor knowingly ignores. Keys in
 * `ignore` are transport details with no meaning after translation (e.g. `stream_options`).
 */
export function noteUnknownKeys(body: Record<string, unknown>, handled: readonly string[], drops: Drops, ignore: readonly string[] = []): void {
  for (const k of Object.keys(body)) {
    if (body[k] === undefined || handled.includes(k) || ignore.includes(k)) continue;
    drops.add(k);
  }
}

/** Tool arguments from a JSON string; malformed or non-object JSON becomes `{}`. */
export function parseArgs(json: unknown, drops?: Drops): Record<string, unknown> {
  if (isRecord(json)) return json;
  if (typeof json !== 'string' || json.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(json);
    if (isRecord(v)) return v;
  } catch {
    /* fall through */
  }
  drops?.add('tool call arguments (not a JSON object)');
  return {};
}

const DATA_URL_RE = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** An image or file URL as an IR source; `data:` URLs become base64. */
export function sourceFromUrl(url: string, mediaType?: string): IrSource {
  const m = DATA_URL_RE.exec(url);
  if (m) return { kind: 'base64', mediaType: m[1] ?? mediaType ?? 'application/octet-stream', data: m[2]! };
  return mediaType ? { kind: 'url', url, mediaType } : { kind: 'url', url };
}

export function dataUrl(mediaType: string, data: string): string {
  return `data:${mediaType};base64,${data}`;
}

/** A source as a URL (`data:` URL for inline bytes). */
export function urlOf(source: IrSource): string {
  return source.kind === 'url' ? source.url : dataUrl(source.mediaType, source.data);
}

const SIG_PREFIX = 'cch:';

/**
 * A signature as shown to a client of another format: tagged with its origin so that, when the
 * client sends it back, only a provider of that origin receives it.
 */
export function encodeSignature(sig: IrSignature): string {
  const flags = `${sig.next ? '+next' : ''}${sig.redacted ? '+redacted' : ''}`;
  return `${SIG_PREFIX}${sig.origin}${flags}:${sig.value}`;
}

/** A signature as a client sent it: ours (tagged) or native to the client's own format. */
export function decodeSignature(raw: string, native: WireFormat): IrSignature {
  if (raw.startsWith(SIG_PREFIX)) {
    const rest = raw.slice(SIG_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon > 0) {
      const [origin, ...flags] = rest.slice(0, colon).split('+');
      const sig: IrSignature = { origin: origin as WireFormat, value: rest.slice(colon + 1) };
      if (flags.includes('next')) sig.next = true;
      if (flags.includes('redacted')) sig.redacted = true;
      return sig;
    }
  }
  return { origin: native, value: raw };
}

/** Ids in the alphabet every format accepts (Anthropic's `^[a-zA-Z0-9_-]+$`). */
export function sanitizeId(id: string): string {
  const s = id.replace(/[^A-Za-z0-9_-]/g, '_');
  return s === '' ? 'id' : s;
}

/** A short, stable nonce from a request id, so synthesized ids are unique per exchange yet reproducible. */
export function nonceOf(requestId: string): string {
  let h = 2166136261;
  for (let i = 0; i < requestId.length; i++) h = Math.imul(h ^ requestId.charCodeAt(i), 16777619);
  return (h >>> 0).toString(36);
}

/** Token budgets for effort levels (budget → effort uses the midpoints). */
export const EFFORT_BUDGET: Readonly<Record<IrEffort, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 24576 };

export function effortForBudget(budget: number): Exclude<IrEffort, 'minimal'> {
  if (budget <= 4096) return 'low';
  if (budget <= 16384) return 'medium';
  return 'high';
}

export function isEffort(v: unknown): v is IrEffort {
  return v === 'minimal' || v === 'low' || v === 'medium' || v === 'high';
}

/** Merge a later cumulative usage report into an earlier one. */
export function mergeUsage(a: Usage | undefined, b: Usage | undefined): Usage | undefined {
  if (!a) return b;
  if (!b) return a;
  const out: Usage = {
    inputTokens: Math.max(a.inputTokens, b.inputTokens),
    outputTokens: Math.max(a.outputTokens, b.outputTokens),
    cacheCreationTokens: Math.max(a.cacheCreationTokens, b.cacheCreationTokens),
    cacheReadTokens: Math.max(a.cacheReadTokens, b.cacheReadTokens),
    reasoningTokens: Math.max(a.reasoningTokens, b.reasoningTokens),
  };
  const c5 = Math.max(a.cacheCreation5mTokens ?? 0, b.cacheCreation5mTokens ?? 0);
  const c1 = Math.max(a.cacheCreation1hTokens ?? 0, b.cacheCreation1hTokens ?? 0);
  if (c5 || c1) {
    out.cacheCreation5mTokens = c5;
    out.cacheCreation1hTokens = c1;
  }
  return out;
}

/** Usage from OpenAI-style totals, where cached tokens are part of the prompt count. */
export function usageFromTotals(prompt: unknown, cached: unknown, completion: unknown, reasoning: unknown): Usage {
  const p = tokenCount(prompt);
  const c = Math.min(tokenCount(cached), p);
  return { inputTokens: p - c, outputTokens: tokenCount(completion), cacheCreationTokens: 0, cacheReadTokens: c, reasoningTokens: tokenCount(reasoning) };
}

/** The whole prompt as OpenAI and Gemini count it: fresh, cache-read and cache-written tokens. */
export function promptTotal(u: Usage): number {
  return u.inputTokens + u.cacheReadTokens + u.cacheCreationTokens;
}

export function joinText(parts: readonly { type: string }[]): string {
  return parts
    .filter((p): p is IrText => p.type === 'text')
    .map((p) => p.text)
    .join('');
}

/** Fill in tool-result names from the calls they answer (Gemini keys results by name). */
export function linkToolResults(messages: IrMessage[]): void {
  const names = new Map<string, string>();
  for (const m of messages) {
    for (const p of m.content) {
      if (p.type === 'tool_call') names.set(p.id, p.name);
      else if (p.type === 'tool_result' && p.name === undefined) {
        const n = names.get(p.id);
        if (n !== undefined) p.name = n;
      }
    }
  }
}

/** Append a message, merging it into the previous one when the role repeats. */
export function pushMessage(messages: IrMessage[], role: IrMessage['role'], content: IrMessage['content']): void {
  if (content.length === 0) return;
  const last = messages.at(-1);
  if (last && last.role === role) last.content.push(...content);
  else messages.push({ role, content: [...content] });
}

/** Unix seconds. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An OpenAI-style function declaration (`{ name, description, parameters, strict }`, Chat or Responses) as an IR tool. */
export function irToolFromFunction(fn: Record<string, unknown>): IrTool {
  return {
    name: str(fn.name) ?? '',
    ...(typeof fn.description === 'string' ? { description: fn.description } : {}),
    schema: isRecord(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    ...(fn.strict === true ? { strict: true } : {}),
  };
}
