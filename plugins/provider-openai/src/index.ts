import { definePlugin } from '@cch/core';
import { openaiAdapter } from './adapter.ts';

/** Registers the `openai` provider type: OpenAI-compatible Chat Completions, passed through. */
export default definePlugin({
  name: 'provider-openai',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'provider',
  description: 'OpenAI-compatible Chat Completions (type: openai) — /v1/chat/completions, streaming and not, usage always collected.',
  setup(ctx) {
    ctx.registerProvider(openaiAdapter);
  },
});

export { openaiAdapter } from './adapter.ts';
