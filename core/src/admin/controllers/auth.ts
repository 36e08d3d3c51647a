import { Body, Get, Post, Response, Route, Security, SuccessResponse, Tags } from '@tsoa/runtime';
import { login, logout } from '../session.ts';
import { AdminHttpError } from '../errors.ts';
import type { ErrorBody, LoginRequest, OkBody, SessionInfo } from '../types.ts';
import { AdminController } from './base.ts';

/** Console sign-in: exchanges the ADMIN_TOKEN for an HttpOnly, SameSite=Strict session cookie. */
@Route('auth')
@Tags('auth')
export class AuthController extends AdminController {
  /**
   * Sign in with the admin token. Sets the `cch_session` cookie.
   * @summary Sign in
   */
  @Post('login')
  @SuccessResponse(200, 'Signed in; the session cookie is set')
  @Response<ErrorBody>(400, 'Malformed body')
  @Response<ErrorBody>(401, 'Wrong token')
  public async login(@Body() body: LoginRequest): Promise<OkBody> {
    if (!(await login(this.ctx, this.gw, body.token))) throw new AdminHttpError(401, 'invalid admin token');
    return { ok: true };
  }

  /**
   * End the session (deletes it server-side and clears the cookie). Always succeeds.
   * @summary Sign out
   */
  @Post('logout')
  public async logout(): Promise<OkBody> {
    await logout(this.ctx, this.gw);
    return { ok: true };
  }

  /**
   * Whether the caller is signed in (cookie or bearer token); 401 otherwise.
   * @summary Current session
   */
  @Get('session')
  @Security('admin')
  @Response<ErrorBody>(401, 'Not signed in')
  public async session(): Promise<SessionInfo> {
    return { authenticated: true };
  }
}
