import { Type } from '@sinclair/typebox';
import { definePlugin, clientErrors } from '@cch/core';
import { createKeyResolver, type AuthService } from './resolver.ts';
import { extractClientKey } from './extract.ts';
import { matchesAny } from '@cch/core';

declare module '@cch/core' {
  interface Services {
    auth: AuthService;
  }
}

const options = Type.Object(
  {
    cacheTtlMs: Type.Integer({ minimum: 0, maximum: 300_000, default: 5_000, description: 'How long a resolved key is cached in memory (changes elsewhere are also pushed through the store).' }),
    negativeCacheTtlMs: Type.Integer({ minimum: 0, maximum: 60_000, default: 2_000, description: 'How long an unknown key is remembered as unknown (spares the database under key guessing).' }),
  },
  { additionalProperties: false },
);

/**
 * Authenticates every proxied request by its hub key and sets `exchange.identity`.
 * The client's key is only ever compared by its SHA-256 and never forwarded.
 */
export default definePlugin({
  name: 'auth',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'auth',
  description: 'Hub keys (hashed) from YAML and the API; 401 in the client format when missing, unknown, disabled or expired.',
  options,
  async setup(ctx) {
    const resolver = createKeyResolver(ctx.db, ctx.store, ctx.options, ctx.logger);
    await resolver.start();
    ctx.provide('auth', resolver);
    ctx.onClose(() => resolver.stop());
    ctx.use('authenticate', async (c, next) => {
      const key = extractClientKey(c.exchange.headers, c.querystring);
      if (key === 'conflict') throw clientErrors.unauthorized('two different API keys were sent; send exactly one');
      if (!key) throw clientErrors.unauthorized('missing API key: send your hub key as x-api-key, Authorization: Bearer, x-goog-api-key or ?key=');
      const found = await resolver.resolve(key);
      if (!found.ok) throw clientErrors.unauthorized(found.reason);
      const id = found.identity;
      if (found.allowedClients.length && !matchesAny(found.allowedClients, c.exchange.userAgent)) {
        throw clientErrors.unauthorized(`this key is not allowed for client "${c.exchange.userAgent.slice(0, 80) || 'unknown'}"`);
      }
      const model = c.exchange.model;
      if (model && id.allowedModels.length && !matchesAny(id.allowedModels, model)) {
        throw clientErrors.forbidden(`this key may not use model "${model}"`);
      }
      c.exchange.identity = id;
      await next();
    });
  },
});

export type { AuthService } from './resolver.ts';
