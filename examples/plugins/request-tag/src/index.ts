import { Type } from '@sinclair/typebox';
import { definePlugin } from '@cch/core';

/**
 * The smallest useful plugin: adds `x-request-tag: <tag>` to every proxied response and
 * remembers the tag on the exchange for later plugins (and the request log).
 */
export default definePlugin({
  name: 'request-tag',
  version: '0.1.0',
  core: '0.1.x',
  kind: 'extension',
  description: 'Adds an x-request-tag header to every proxied response.',
  options: Type.Object(
    {
      tag: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$', description: 'Tag to send back.' }),
      header: Type.String({ default: 'x-request-tag', pattern: '^[a-z0-9-]+$', description: 'Response header name.' }),
    },
    { additionalProperties: false },
  ),
  setup(ctx) {
    const { tag, header } = ctx.options;
    ctx.use(
      'authenticate',
      async (c, next) => {
        c.exchange.state.requestTag = tag;
        c.set(header, tag);
        await next();
      },
      { order: 'pre' },
    );
  },
});
