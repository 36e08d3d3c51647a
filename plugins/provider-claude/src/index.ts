import { definePlugin } from '@cch/core';
import { claudeAdapter } from './adapter.ts';

/** Registers the `claude` provider type: Anthropic Messages, passed through unchanged. */
export default definePlugin({
  name: 'provider-claude',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'provider',
  description: 'Anthropic Messages API (type: claude) — /v1/messages and count_tokens, streaming and not.',
  setup(ctx) {
    ctx.registerProvider(claudeAdapter);
  },
});

export { claudeAdapter } from './adapter.ts';
