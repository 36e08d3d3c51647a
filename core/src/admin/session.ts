import crypto from 'node:crypto';
import type { Context } from 'koa';
import type { Gateway } from '../app.ts';
import { safeEqual } from '../secrets.ts';

export const SESSION_COOKIE = 'cch_session';
const SESSION_TTL_MS = 12 * 3600_000;

/**
 * Admin authentication: `Authorization: Bearer $ADMIN_TOKEN` for scripts, or the console's
 * session cookie (httpOnly, SameSite=Strict, Secure per ENABLE_SECURE_COOKIES). Sessions live in
 * the store so every instance accepts them; only a hash of the session id is stored.
 */
export async function isAdmin(ctx: Context, gw: Gateway): Promise<boolean> {
  const auth = ctx.get('authorization');
  if (auth.toLowerCase().startsWith('bearer ')) return safeEqual(auth.slice(7).trim(), gw.env.adminToken);
  const sid = readCookie(ctx, SESSION_COOKIE);
  if (!sid) return false;
  return (await gw.store.get(sessionKey(sid))) !== null;
}

export async function login(ctx: Context, gw: Gateway, token: string): Promise<boolean> {
  if (!safeEqual(token, gw.env.adminToken)) return false;
  const sid = crypto.randomBytes(32).toString('base64url');
  await gw.store.set(sessionKey(sid), '1', { ttlMs: SESSION_TTL_MS });
  setCookie(ctx, gw, sid, SESSION_TTL_MS / 1000);
  return true;
}

export async function logout(ctx: Context, gw: Gateway): Promise<void> {
  const sid = readCookie(ctx, SESSION_COOKIE);
  if (sid) await gw.store.del(sessionKey(sid));
  setCookie(ctx, gw, '', 0);
}

function sessionKey(sid: string): string {
  return `admin-session:${crypto.createHash('sha256').update(sid).digest('hex')}`;
}

function readCookie(ctx: Context, name: string): string | undefined {
  const header = ctx.get('cookie');
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

// Set by hand: Koa refuses `secure` cookies on plain-http connections even when a TLS proxy fronts us.
function setCookie(ctx: Context, gw: Gateway, value: string, maxAgeSeconds: number): void {
  const attrs = [`${SESSION_COOKIE}=${encodeURIComponent(value)}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.floor(maxAgeSeconds)}`];
  if (gw.env.secureCookies) attrs.push('Secure');
  ctx.append('set-cookie', attrs.join('; '));
}
