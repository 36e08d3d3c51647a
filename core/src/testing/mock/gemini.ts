/**
 * The mock's Gemini APIs: the public `generativelanguage` API (`/v1beta/models/{model}:…`) and
 * Gemini Code Assist (`/v1internal:{method}`), which wraps the same bodies in `{ request }` and
 * `{ response }` envelopes.
 */
import { SSE_HEADERS, sseEvent } from '../sse.ts';
import { type Conversation, type MockContext, TOOL_ARGS, isRecord, sampleSchema, sendError, sendJson, sendStream, splitText, textOf, toolToCall } from './shared.ts';
import type { MockUsage } from './types.ts';

const JSON_HEADERS = { 'content-type': 'application/json; charset=UTF-8' };
const OVERLOADED = { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } };
const PROJECT = 'mock-project';

function conversation(req: Record<string, unknown>): Conversation {
  let lastUserText = '';
  let hasToolResult = false;
  for (const c of Array.isArray(req.contents) ? req.contents : []) {
    if (!isRecord(c) || !Array.isArray(c.parts)) continue;
    if (c.parts.some((p) => isRecord(p) && p.functionResponse !== undefined)) hasToolResult = true;
    if (c.role === 'user' || c.role === undefined) lastUserText = textOf(c.parts);
  }
  let toolName: string | undefined;
  for (const t of Array.isArray(req.tools) ? req.tools : []) {
    const decls = isRecord(t) ? t.functionDeclarations : undefined;
    const first = Array.isArray(decls) ? decls.find((d) => isRecord(d) && typeof d.name === 'string') : undefined;
    if (isRecord(first)) {
      toolName = first.name as string;
      break;
    }
  }
  return { lastUserText, hasToolResult, toolName };
}

function usageMetadata(u: MockUsage): Record<string, unknown> {
  const prompt = u.input + u.cacheRead;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: u.output,
    totalTokenCount: prompt + u.output + u.reasoning,
    cachedContentTokenCount: u.cacheRead,
    thoughtsTokenCount: u.reasoning,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
  };
}

/** Reply text; JSON mode (Gemini CLI's next-speaker and loop checks) gets a sample of the schema. */
function replyText(req: Record<string, unknown>, text: string): string {
  const gc = isRecord(req.generationConfig) ? req.generationConfig : {};
  if (gc.responseMimeType !== 'application/json') return text;
  return JSON.stringify(sampleSchema(gc.responseJsonSchema ?? gc.responseSchema ?? { type: 'object' }, text));
}

/** The chunks of one reply; a non-streaming reply is their merge. */
function replyChunks(ctx: MockContext, model: string, req: Record<string, unknown>): Record<string, unknown>[] {
  const { settings } = ctx;
  const tool = toolToCall(settings, conversation(req));
  const gc = isRecord(req.generationConfig) ? req.generationConfig : {};
  const thoughts = isRecord(gc.thinkingConfig) && gc.thinkingConfig.includeThoughts === true;
  const responseId = ctx.id('mock-');
  const chunk = (parts: unknown[], last: boolean): Record<string, unknown> => ({
    candidates: [{ content: { parts, role: 'model' }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
    ...(last ? { usageMetadata: usageMetadata(settings.usage) } : {}),
    modelVersion: model,
    responseId,
  });
  const chunks: Record<string, unknown>[] = [];
  if (thoughts) chunks.push(chunk([{ text: settings.thinking, thought: true }], false));
  if (tool !== undefined) {
    // Gemini sends a function call whole, never as partial arguments.
    chunks.push(chunk([{ functionCall: { name: tool, args: TOOL_ARGS } }], true));
  } else {
    const pieces = splitText(replyText(req, settings.text), settings.events);
    pieces.forEach((text, i) => chunks.push(chunk([{ text }], i === pieces.length - 1)));
  }
  return chunks;
}

/** Merge stream chunks into one response: text parts concatenated, other parts kept. */
function merge(chunks: Record<string, unknown>[]): Record<string, unknown> {
  const parts: Record<string, unknown>[] = [];
  for (const c of chunks) {
    const cand = (c.candidates as Record<string, unknown>[])[0]!;
    for (const p of (cand.content as { parts: Record<string, unknown>[] }).parts) {
      const prev = parts.at(-1);
      if (prev && typeof p.text === 'string' && typeof prev.text === 'string' && prev.thought === p.thought) prev.text += p.text;
      else parts.push({ ...p });
    }
  }
  const last = chunks.at(-1)!;
  const lastCand = (last.candidates as Record<string, unknown>[])[0]!;
  return { ...last, candidates: [{ ...lastCand, content: { parts, role: 'model' } }] };
}

/** Send a reply as JSON, SSE (`?alt=sse`) or an incrementally written JSON array. */
function reply(ctx: MockContext, chunks: Record<string, unknown>[], stream: boolean, wrap: (r: Record<string, unknown>) => unknown): void | Promise<void> {
  if (!stream) return sendJson(ctx, wrap(merge(chunks)), JSON_HEADERS);
  if (ctx.url.searchParams.get('alt') === 'sse') {
    return sendStream(ctx, { headers: SSE_HEADERS, events: chunks.map((c) => sseEvent(wrap(c))), error: (_sent, body) => sseEvent(body ?? OVERLOADED) });
  }
  return sendStream(ctx, {
    headers: JSON_HEADERS,
    events: chunks.map((c, i) => (i === 0 ? '[' : ',\r\n') + JSON.stringify(wrap(c))),
    end: ']',
    error: (sent, body) => `${sent === 0 ? '[' : ',\r\n'}${JSON.stringify(body ?? OVERLOADED)}]`,
  });
}

const identity = (r: Record<string, unknown>): unknown => r;

/** `POST /v1beta/models/{model}:{action}`. */
export function geminiModelAction(ctx: MockContext, model: string, action: string): void | Promise<void> {
  const b = ctx.body;
  if (action === 'countTokens') {
    const u = ctx.settings.usage;
    const total = u.input + u.cacheRead;
    return sendJson(ctx, { totalTokens: total, cachedContentTokenCount: u.cacheRead, promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }] }, JSON_HEADERS);
  }
  if (action !== 'generateContent' && action !== 'streamGenerateContent') return sendError(ctx, 404, `Method ${action} is not supported by the mock.`);
  if (!Array.isArray(b.contents)) return sendError(ctx, 400, '* GenerateContentRequest.contents: contents is not specified');
  return reply(ctx, replyChunks(ctx, model, b), action === 'streamGenerateContent', identity);
}

/** `GET /v1beta/models` and `GET /v1beta/models/{model}`. */
export function geminiModels(ctx: MockContext, id?: string): void {
  const model = (m: string) => ({
    name: `models/${m}`,
    version: '001',
    displayName: m,
    inputTokenLimit: 1048576,
    outputTokenLimit: 65536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  });
  sendJson(ctx, id !== undefined ? model(id) : { models: ctx.settings.models.map(model) }, JSON_HEADERS);
}

/** `POST /v1internal:{method}` (Gemini Code Assist, as used by Gemini CLI with a Google login). */
export function codeAssist(ctx: MockContext, method: string): void | Promise<void> {
  const b = ctx.body;
  if (method.startsWith('operations/')) {
    return sendJson(ctx, { name: method, done: true, response: { cloudaicompanionProject: { id: PROJECT, name: PROJECT } } }, JSON_HEADERS);
  }
  switch (method) {
    case 'loadCodeAssist': {
      const tier = { id: 'free-tier', name: 'Gemini Code Assist for individuals', description: 'Mock tier', userDefinedCloudaicompanionProject: false };
      const project = typeof b.cloudaicompanionProject === 'string' ? b.cloudaicompanionProject : PROJECT;
      return sendJson(ctx, { currentTier: tier, allowedTiers: [{ ...tier, isDefault: true }], cloudaicompanionProject: project, gcpManaged: false }, JSON_HEADERS);
    }
    case 'onboardUser':
      return sendJson(
        ctx,
        {
          name: 'operations/mock-onboard',
          done: true,
          response: { '@type': 'type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse', cloudaicompanionProject: { id: PROJECT, name: PROJECT } },
        },
        JSON_HEADERS,
      );
    case 'countTokens': {
      const u = ctx.settings.usage;
      return sendJson(ctx, { totalTokens: u.input + u.cacheRead }, JSON_HEADERS);
    }
    case 'generateContent':
    case 'streamGenerateContent': {
      if (typeof b.model !== 'string') return sendError(ctx, 400, 'model is required');
      if (!isRecord(b.request) || !Array.isArray(b.request.contents)) return sendError(ctx, 400, 'request.contents is required');
      const traceId = ctx.id('trace-');
      return reply(ctx, replyChunks(ctx, b.model, b.request), method === 'streamGenerateContent', (response) => ({ response, traceId }));
    }
    default:
      // retrieveUserQuota, listExperiments, recordCodeAssistMetrics, …: clients only need a 200.
      return sendJson(ctx, {}, JSON_HEADERS);
  }
}
