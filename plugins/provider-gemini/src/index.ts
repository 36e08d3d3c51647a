import { Type } from '@sinclair/typebox';
import { defaultProbe, definePlugin, type ProviderAdapter, type ProviderRecord } from '@cch/core';
import { createGeminiAdapter } from './adapter.ts';
import { createGeminiCliAdapter } from './code-assist.ts';
import { geminiAuthHeaders } from './credentials.ts';
import { createTokenKeeper, GEMINI_CLI_CLIENT_ID, GEMINI_CLI_CLIENT_SECRET, GOOGLE_TOKEN_URL } from './oauth.ts';

const TYPES = new Set(['gemini', 'gemini-cli']);

/** Registers the `gemini` (Gemini API) and `gemini-cli` (Gemini Code Assist) provider types. */
export default definePlugin({
  name: 'provider-gemini',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'provider',
  description: 'Google Gemini (type: gemini) — generateContent, streamGenerateContent (SSE and JSON array), countTokens — and Gemini Code Assist (type: gemini-cli) — every v1internal method.',
  options: Type.Object(
    {
      oauthTokenUrl: Type.String({ default: GOOGLE_TOKEN_URL, pattern: '^https?://', description: 'Where OAuth credentials (a provider key given as Gemini CLI\'s oauth_creds.json) are refreshed.' }),
      oauthClientId: Type.String({ default: GEMINI_CLI_CLIENT_ID, minLength: 1, description: 'OAuth client the refresh tokens were issued to (default: Gemini CLI\'s public client).' }),
      oauthClientSecret: Type.String({ default: GEMINI_CLI_CLIENT_SECRET, minLength: 1, description: 'Its client secret (public for installed apps such as Gemini CLI).' }),
    },
    { additionalProperties: false, default: {} },
  ),
  setup(ctx) {
    const keeper = createTokenKeeper({
      client: { tokenUrl: ctx.options.oauthTokenUrl, clientId: ctx.options.oauthClientId, clientSecret: ctx.options.oauthClientSecret },
      logger: ctx.logger,
    });
    ctx.onClose(() => keeper.close());
    const bearer = (p: ProviderRecord) => ({ authorization: `Bearer ${keeper.accessToken(p)}` });
    // OAuth JSON goes as a bearer token on both types; a plain key keeps its own rules.
    const api = createGeminiAdapter((p) => (keeper.isOAuth(p) ? bearer(p) : geminiAuthHeaders(p.key)));
    const cli = createGeminiCliAdapter(bearer);
    // The admin API's provider test refreshes an expired token first, as a request would.
    const fresh = async (p: ProviderRecord) => {
      await keeper.ensureFresh([p]);
    };
    const apiProbe: ProviderAdapter['probe'] = async (p, model) => (await fresh(p), defaultProbe(api, p, model));
    const cliProbe = cli.probe!;
    ctx.registerProvider({ ...api, probe: apiProbe });
    ctx.registerProvider({ ...cli, probe: async (p, model) => (await fresh(p), cliProbe(p, model)) });

    /** This plugin's providers (the list object changes only when providers are reloaded). */
    let listed: readonly ProviderRecord[] | undefined;
    let mine: ProviderRecord[] = [];
    const ours = (): ProviderRecord[] => {
      const all = ctx.providers.list();
      if (all !== listed) {
        listed = all;
        mine = all.filter((p) => TYPES.has(p.type) && keeper.isOAuth(p));
        keeper.retain(mine);
      }
      return mine;
    };

    // Before a request reaches a provider, an expired token is refreshed first (the request
    // waits, alongside the admission checks). Normally the timer has done it long before.
    ctx.use(
      'route',
      (c, next) => {
        const list = ours();
        const wait = list.length ? keeper.ensureFresh(list) : undefined;
        if (wait) c.admit(wait);
        return next();
      },
      { order: 'pre' },
    );

    // A provider that refused its token (revoked, or expired early): refresh it now.
    ctx.onSettle((ex) => {
      for (const a of ex.attempts) {
        if (a.errorClass !== 'auth') continue;
        const p = ours().find((x) => x.id === a.providerId);
        if (p) keeper.refused(p, ex.startedAt.getTime());
      }
    });
  },
});

export { geminiAdapter, createGeminiAdapter } from './adapter.ts';
export { geminiCliAdapter, createGeminiCliAdapter } from './code-assist.ts';
export { createTokenKeeper, parseOAuthCredential } from './oauth.ts';
