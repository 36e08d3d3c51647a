import { definePlugin } from '@cch/core';
import { codexAdapter } from './adapter.ts';

/** Registers the `codex` provider type: OpenAI Responses, passed through unchanged. */
export default definePlugin({
  name: 'provider-codex',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'provider',
  description: 'OpenAI Responses API (type: codex) — /v1/responses on api.openai.com or the ChatGPT Codex backend, streaming and not.',
  setup(ctx) {
    ctx.registerProvider(codexAdapter);
  },
});

export { codexAdapter } from './adapter.ts';
