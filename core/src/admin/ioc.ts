import type { Context, Request as KoaRequest } from 'koa';
import type { IocContainer, IocContainerFactory } from '@tsoa/runtime';
import type { Gateway } from '../app.ts';

/**
 * tsoa's IoC hook. The generated routes call this factory once per request with the Koa request;
 * the gateway travels on `ctx.state.gateway` (set by mountAdmin), so two gateways in one process
 * never share a controller or a module-level singleton.
 */
export const iocContainer: IocContainerFactory<KoaRequest> = (request: KoaRequest): IocContainer => {
  const ctx = request.ctx;
  const gw = gatewayOf(ctx);
  return {
    get<T>(controller: unknown): T {
      return new (controller as new (gw: Gateway, ctx: Context) => T)(gw, ctx);
    },
  } as IocContainer;
};

export function gatewayOf(ctx: Context): Gateway {
  const gw = ctx.state.gateway as Gateway | undefined;
  if (!gw) throw new Error('admin route reached without ctx.state.gateway (is mountAdmin in place?)');
  return gw;
}
