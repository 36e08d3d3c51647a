import type Koa from 'koa';
import type { Context } from 'koa';
import type Router from '@koa/router';
import type { Gateway } from '../app.ts';

type AdminHandler = (ctx: Context) => Promise<void>;

/**
 * Mount the admin API on `/api/…` (see ./api.ts). Other paths pass through untouched; this runs
 * after the proxy handler, so proxy paths never get here and their raw bodies are never parsed.
 *
 * The API itself — tsoa's runtime and validators, the controllers, koa-body, the docs pages — is
 * imported on the first `/api` request, not at boot: a hub that only proxies never needs it, and
 * it is several MB of heap (see bench/heap.ts). A failed import answers 500 and is retried on the
 * next request.
 */
export function mountAdmin(app: Koa, gw: Gateway, pluginRouter: Router): void {
  let handler: Promise<AdminHandler> | undefined;
  const load = (): Promise<AdminHandler> =>
    (handler ??= import('./api.ts').then(
      (m) => m.createAdminHandler(gw, pluginRouter),
      (err: unknown) => {
        handler = undefined;
        throw err;
      },
    ));

  app.use(async (ctx, next) => {
    if (ctx.path !== '/api' && !ctx.path.startsWith('/api/')) return next();
    ctx.state.gateway = gw;
    let handle: AdminHandler;
    try {
      handle = await load();
    } catch (err) {
      gw.logger.error({ err }, 'loading the admin API failed');
      ctx.status = 500;
      ctx.body = { error: { message: 'internal server error: the admin API failed to load' } };
      return;
    }
    await handle(ctx);
  });
}
