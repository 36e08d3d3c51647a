import type { Request as KoaRequest } from 'koa';
import { isAdmin } from './session.ts';
import { gatewayOf } from './ioc.ts';
import { AdminHttpError, UNAUTHENTICATED_MESSAGE } from './errors.ts';

/** What `@Security('admin')` routes see as `request.user`. */
export interface AdminPrincipal {
  admin: true;
}

/**
 * tsoa authentication module: `admin` accepts `Authorization: Bearer $ADMIN_TOKEN` or the
 * console's session cookie; anything else is a 401.
 */
export async function koaAuthentication(request: KoaRequest, securityName: string, _scopes?: string[]): Promise<AdminPrincipal> {
  if (securityName !== 'admin') throw new AdminHttpError(500, `unknown security scheme "${securityName}"`);
  if (await isAdmin(request.ctx, gatewayOf(request.ctx))) return { admin: true };
  throw new AdminHttpError(401, UNAUTHENTICATED_MESSAGE);
}
