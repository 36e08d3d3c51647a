import type { ProxyContext } from '../plugin.ts';
import type { ProviderDirectory } from '../providers.ts';
import { groupsIntersect, matchesAny } from '../models.ts';

interface Listed {
  id: string;
  ownedBy: string;
}

/**
 * Answer `GET /v1/models` and `GET /v1beta/models` from the hub itself: the models the caller may
 * use, from its providers' allow-lists and redirect sources (globs cannot be enumerated and are
 * left out), filtered by the key's own allowed models. Shaped for the client: OpenAI, Anthropic
 * (when the request carries `anthropic-version`) or Gemini.
 */
export function listModels(ctx: ProxyContext, providers: ProviderDirectory): void {
  const ex = ctx.exchange;
  const seen = new Map<string, Listed>();
  for (const p of providers.list()) {
    if (!p.enabled || !providers.adapter(p.type)) continue;
    if (ex.identity && !groupsIntersect(ex.identity.providerGroups, p.groups)) continue;
    for (const m of [...p.models, ...Object.keys(p.modelRedirects)]) {
      if (m.includes('*') || m.includes('?') || seen.has(m)) continue;
      if (ex.identity?.allowedModels.length && !matchesAny(ex.identity.allowedModels, m)) continue;
      seen.set(m, { id: m, ownedBy: p.type });
    }
  }
  const models = [...seen.values()].sort((a, b) => a.id.localeCompare(b.id));
  ctx.status = 200;
  if (ex.endpoint.format === 'gemini') {
    ctx.body = { models: models.map((m) => ({ name: `models/${m.id}`, displayName: m.id, supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'] })) };
  } else if (ex.headers['anthropic-version']) {
    ctx.body = {
      data: models.map((m) => ({ type: 'model', id: m.id, display_name: m.id, created_at: '1970-01-01T00:00:00Z' })),
      has_more: false,
      first_id: models[0]?.id ?? null,
      last_id: models.at(-1)?.id ?? null,
    };
  } else {
    ctx.body = { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: 0, owned_by: m.ownedBy })) };
  }
}
