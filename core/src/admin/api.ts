import type Koa from 'koa';
import type { Context, Next } from 'koa';
import Router from '@koa/router';
import { koaBody } from 'koa-body';
import type { Gateway } from '../app.ts';
import { RegisterRoutes } from './generated/routes.ts';
import { isAdmin } from './session.ts';
import { serveDocs } from './docs.ts';
import { UNAUTHENTICATED_MESSAGE } from './errors.ts';
import type { ErrorBody } from './types.ts';

/**
 * The admin API on `/api/…`: the tsoa-generated `/api/v1` routes (controllers in ./controllers,
 * regenerate with `npm run api:generate`), plugin routes under `/api/v1/plugins/<name>/…`
 * (admin-authenticated), the OpenAPI document at `/api/openapi.json` and the Swagger UI / Scalar
 * pages. Everything under `/api/` answers JSON errors. Loaded by ./mount.ts on the first `/api`
 * request, so a hub that only proxies never loads tsoa, the controllers or koa-body.
 */
export function createAdminHandler(gw: Gateway, pluginRouter: Router): (ctx: Context) => Promise<void> {
  const api = new Router();
  RegisterRoutes(api);

  const body = koaBody({ json: true, urlencoded: true, text: false, multipart: false, jsonLimit: '1mb', formLimit: '1mb', jsonStrict: true });

  const requireAdmin = async (ctx: Context, next: Next): Promise<void> => {
    if (!(await isAdmin(ctx, gw))) {
      ctx.status = 401;
      ctx.body = errorBody(UNAUTHENTICATED_MESSAGE);
      return;
    }
    await next();
  };
  const plugins = chain([requireAdmin, pluginRouter.routes() as Koa.Middleware, pluginRouter.allowedMethods() as Koa.Middleware]);
  const routes = chain([api.routes() as Koa.Middleware, api.allowedMethods() as Koa.Middleware]);

  return async (ctx) => {
    try {
      if (serveDocs(ctx)) return;
      await body(ctx, async () => {
        if (ctx.path.startsWith('/api/v1/plugins/')) await plugins(ctx);
        else await routes(ctx);
      });
      if (ctx.body === undefined || ctx.body === null) {
        // Setting a body makes Koa answer 200 unless the status is set (again) explicitly.
        const status = ctx.status;
        const message =
          status === 404 ? `no such endpoint: ${ctx.method} ${ctx.path}` : status === 405 ? `method ${ctx.method} not allowed on ${ctx.path}` : status === 501 ? `method ${ctx.method} not implemented` : undefined;
        if (message) {
          ctx.body = errorBody(message);
          ctx.status = status;
        }
      }
    } catch (err) {
      renderError(ctx, gw, err);
    }
  };
}

/** Run middleware in order (each decides whether to call the next); the chain ends in a no-op. */
function chain(mws: Koa.Middleware[]): (ctx: Context) => Promise<void> {
  return (ctx) => {
    const run = async (i: number): Promise<void> => {
      if (i < mws.length) await mws[i]!(ctx as Koa.ParameterizedContext, () => run(i + 1));
    };
    return run(0);
  };
}

function errorBody(message: string, extra: Omit<ErrorBody['error'], 'message'> = {}): ErrorBody {
  return { error: { message, ...extra } };
}

type FieldErrors = NonNullable<ErrorBody['error']['fields']>;

/**
 * 4xx errors (tsoa validation, authentication, malformed bodies, AdminHttpError) become
 * `{error:{message, fields?}}`; anything else is logged and answered with a 500 naming the
 * request id.
 */
function renderError(ctx: Context, gw: Gateway, err: unknown): void {
  const e = (err ?? {}) as { status?: unknown; statusCode?: unknown; message?: unknown; fields?: unknown; expose?: unknown };
  const raw = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  const status = raw >= 400 && raw < 600 ? raw : 500;
  ctx.remove('set-cookie');
  if (status < 500) {
    const fields = e.fields && typeof e.fields === 'object' ? (e.fields as FieldErrors) : undefined;
    const message = fields ? validationMessage(fields) : typeof e.message === 'string' && e.message ? e.message : 'bad request';
    ctx.status = status;
    ctx.body = errorBody(message, fields ? { fields } : {});
    return;
  }
  const requestId = ctx.state.requestId as string | undefined;
  gw.logger.error({ err, requestId, method: ctx.method, path: ctx.path }, 'admin API request failed');
  ctx.status = 500;
  ctx.body = errorBody('internal server error', requestId ? { requestId } : {});
}

function validationMessage(fields: FieldErrors): string {
  const parts = Object.entries(fields).map(([name, f]) => {
    const msg = f?.message || 'invalid';
    return msg.startsWith(name.replace(/^body\./, '')) ? msg : `${name}: ${msg}`;
  });
  return parts.length ? `invalid request: ${parts.join('; ')}` : 'invalid request';
}
