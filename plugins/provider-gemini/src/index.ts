import { definePlugin } from '@cch/core';
import { geminiAdapter } from './adapter.ts';
import { geminiCliAdapter } from './code-assist.ts';

/** Registers the `gemini` (Gemini API) and `gemini-cli` (Gemini Code Assist) provider types. */
export default definePlugin({
  name: 'provider-gemini',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'provider',
  description: 'Google Gemini (type: gemini) — generateContent, streamGenerateContent (SSE and JSON array), countTokens — and Gemini Code Assist (type: gemini-cli) — every v1internal method.',
  setup(ctx) {
    ctx.registerProvider(geminiAdapter);
    ctx.registerProvider(geminiCliAdapter);
  },
});

export { geminiAdapter } from './adapter.ts';
export { geminiCliAdapter } from './code-assist.ts';
