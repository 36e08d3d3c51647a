/**
 * The gateway configurations under test and the requests sent to them. Plugins written by
 * others land over time, so the "everything on" configuration lists the ones whose folder
 * exists with a package.json when the bench runs, and says which were left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './child.ts';
import type { RequestSpec } from './load.ts';
import type { Target } from './types.ts';

/** The hub key every benchmark client sends (hub_sk_ + 40 base62 characters). */
export const HUB_KEY = `hub_sk_${'BenchmarkKey'.padEnd(40, '0')}`;
/** The credential the hub and the proxies present to the mock. */
export const PROVIDER_KEY = 'sk-ant-bench-provider-0001';
export const MODEL = 'claude-sonnet-4-5';

/** Plugins of the "everything on" hub, in load order. */
export const FULL_PLUGINS = ['auth', 'limit-rpm', 'limit-cost', 'limit-concurrency', 'balancer', 'circuit-breaker', 'accounting', 'provider-claude'] as const;

/** Limits high enough that nothing is ever rejected, so every limit plugin does its full work. */
const GENEROUS = '{ rpm: 100000000, concurrentSessions: 1000000, concurrentRequests: 1000000, usd5h: 100000000, usdDaily: 100000000, usdMonthly: 100000000 }';

/** A plugin folder with a package.json whose entry file exists (a folder mid-creation has neither). */
function isPresent(name: string): boolean {
  const dir = path.join(REPO_ROOT, 'plugins', name);
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { exports?: unknown; main?: string };
    const exp = typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports as Record<string, unknown> | undefined)?.['.'];
    const entry = typeof exp === 'string' ? exp : (pkg.main ?? 'src/index.ts');
    return fs.existsSync(path.join(dir, entry));
  } catch {
    return false;
  }
}

/** Which of `names` exist as loadable plugin folders (plugins/<name>/) right now. */
export function presentPlugins(names: readonly string[]): { included: string[]; missing: string[] } {
  const included: string[] = [];
  const missing: string[] = [];
  for (const n of names) (isPresent(n) ? included : missing).push(n);
  return { included, missing };
}

function users(limits: boolean): string {
  return `
groups:
  - name: bench${limits ? `\n    limits: ${GENEROUS}` : ''}
users:
  - name: bench
    group: bench${limits ? `\n    limits: ${GENEROUS}` : ''}
    keys:
      - name: load
        key: ${HUB_KEY}${limits ? `\n        limits: ${GENEROUS}` : ''}
`;
}

const SETTINGS = 'settings: { shutdownGraceMs: 2000 }\n';

/** auth + provider-claude, one provider. */
export function minimalYaml(upstream: string): string {
  return `${SETTINGS}plugins:
  - name: auth
  - name: provider-claude
providers:
  - name: claude-a
    type: claude
    url: ${upstream}
    key: ${PROVIDER_KEY}
${users(false)}`;
}

/** Every plugin in `plugins`, three providers (one per upstream), limits everywhere. */
export function fullYaml(upstreams: string[], plugins: string[]): string {
  const providers = upstreams
    .map(
      (u, i) => `  - name: claude-${String.fromCharCode(97 + i)}
    type: claude
    url: ${u}
    key: ${PROVIDER_KEY}
    weight: 1
    limits: ${GENEROUS}`,
    )
    .join('\n');
  return `${SETTINGS}plugins:
${plugins.map((p) => `  - name: ${p}`).join('\n')}
providers:
${providers}
${users(true)}`;
}

/** An Anthropic client in front of an OpenAI provider: the translated path. */
export function translateYaml(upstream: string, plugins: string[]): string {
  return `${SETTINGS}plugins:
${plugins.map((p) => `  - name: ${p}`).join('\n')}
providers:
  - name: openai-a
    type: openai
    url: ${upstream}
    key: ${PROVIDER_KEY}
    acceptsTranslation: true
    modelRedirects: { "claude-*": "gpt-5" }
${users(false)}`;
}

const PROMPT = {
  model: MODEL,
  max_tokens: 1024,
  system: 'You are a concise assistant used in a gateway benchmark.',
  messages: [{ role: 'user', content: 'Say hello in one short paragraph.' }],
};

/**
 * Request bodies for `sessions` distinct Claude Code sessions (the session id rides in
 * `metadata.user_id`, as Claude Code sends it), so session stickiness and session limits see
 * many sessions rather than one. Every target gets the same bytes.
 */
export function bodiesFor(stream: boolean, sessions: number): string[] {
  return Array.from({ length: Math.max(1, sessions) }, (_, i) =>
    JSON.stringify({
      ...PROMPT,
      metadata: { user_id: `user_${'0'.repeat(64)}_account__session_00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}` },
      ...(stream ? { stream: true } : {}),
    }),
  );
}

/** One JSON and one streaming request body (session 0). */
export const BODIES = {
  json: bodiesFor(false, 1)[0]!,
  stream: bodiesFor(true, 1)[0]!,
};

/** Headers an Anthropic client sends, plus whatever the target needs to route it. */
export function anthropicHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...extra };
}

/** The Anthropic Messages request for a target, JSON or streaming, spread over `sessions` sessions. */
export function requestFor(t: Target, stream: boolean, sessions = 1): RequestSpec {
  const bodies = bodiesFor(stream, sessions);
  return {
    url: t.url,
    path: '/v1/messages',
    headers: anthropicHeaders(t.headers),
    body: bodies[0]!,
    bodies,
    stream,
    expectTail: stream ? 'message_stop' : undefined,
  };
}
