import type { Context } from 'koa';
import { Controller } from '@tsoa/runtime';
import type { Gateway } from '../../app.ts';

/** Controllers are built per request by the IoC factory (ioc.ts) with their gateway and context. */
export abstract class AdminController extends Controller {
  constructor(
    protected readonly gw: Gateway,
    protected readonly ctx: Context,
  ) {
    super();
  }
}
