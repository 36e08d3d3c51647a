/**
 * Google OAuth credentials that refresh themselves. A provider's `key` may be the JSON Gemini CLI
 * keeps in `~/.gemini/oauth_creds.json` (`access_token`, `refresh_token`, `expiry_date`), or
 * Google's `authorized_user` JSON (`refresh_token`, `client_id`, `client_secret`, `token_uri`).
 * Access tokens last an hour; the keeper trades the refresh token for a new one before it runs
 * out — on a timer (five minutes ahead, or half the lifetime when shorter), before a request when
 * the token has already expired (the request waits), and after the provider refused the token.
 *
 * Per instance and in memory: Google does not rotate refresh tokens, so every instance can refresh
 * on its own (a few calls an hour) and nothing needs storing. Tokens never reach a log.
 */
import { createHash } from 'node:crypto';
import type { Logger, ProviderRecord } from '@cch/core';

/**
 * Gemini CLI's OAuth client: an installed-app client, public by design (RFC 8252 §8.5), the same
 * constants the open-source Gemini CLI ships. Overridable in the plugin options or per credential.
 */
export const GEMINI_CLI_CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com';
export const GEMINI_CLI_CLIENT_SECRET = ['GOCSPX', '4uHgMPm-1o7Sk-geV6Cu5clXFsxl'].join('-');
export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

export interface OAuthClient {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

/** The parts of a credential JSON the keeper uses. */
export interface OAuthCredential {
  refreshToken: string;
  accessToken: string | undefined;
  /** Epoch ms; 0 when unknown (then the token is refreshed before first use). */
  expiresAt: number;
  client: Partial<OAuthClient>;
}

/** The credential in a provider key, when it is a refreshable OAuth JSON; undefined otherwise. */
export function parseOAuthCredential(key: string): OAuthCredential | undefined {
  const text = key.trim();
  if (!text.startsWith('{')) return undefined;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const refreshToken = str(j.refresh_token);
  if (!refreshToken) return undefined;
  let expiresAt = typeof j.expiry_date === 'number' ? j.expiry_date : 0;
  if (!expiresAt && str(j.expiry)) expiresAt = Date.parse(j.expiry as string) || 0;
  return {
    refreshToken,
    accessToken: str(j.access_token),
    expiresAt,
    client: { tokenUrl: str(j.token_uri), clientId: str(j.client_id), clientSecret: str(j.client_secret) },
  };
}

/** Refresh this long before expiry (or at half the lifetime, when that is sooner). */
const AHEAD_MS = 5 * 60_000;
/** First retry after a failed refresh; doubles up to {@link MAX_BACKOFF_MS}. */
const BACKOFF_MS = 5_000;
const MAX_BACKOFF_MS = 5 * 60_000;
const REFRESH_TIMEOUT_MS = 15_000;

interface State {
  name: string;
  cred: OAuthCredential;
  accessToken: string;
  expiresAt: number;
  refreshing: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  failures: number;
  refreshedAt: number;
  /** Set when Google said the refresh token is no good: stop retrying until the credential changes. */
  dead: boolean;
}

export interface TokenKeeper {
  /** Whether this provider's key is a refreshable OAuth credential (cached per provider record). */
  isOAuth(provider: ProviderRecord): boolean;
  /** The access token to send for this provider now (the key itself when it is not OAuth JSON). */
  accessToken(provider: ProviderRecord): string;
  /**
   * Resolves once every OAuth credential among `providers` has an unexpired access token (or its
   * refresh failed); undefined when none needs one — the common, synchronous case.
   */
  ensureFresh(providers: readonly ProviderRecord[]): Promise<void> | undefined;
  /**
   * The provider refused the token of a request that began at `sentAt` (epoch ms): refresh it now,
   * unless it has been refreshed since (then the refused token is already gone).
   */
  refused(provider: ProviderRecord, sentAt: number): void;
  /** Forget credentials no longer used by any of `providers` (a rotated key): stops their timers. */
  retain(providers: readonly ProviderRecord[]): void;
  close(): void;
}

export function createTokenKeeper(opts: { client: OAuthClient; logger: Logger; now?: () => number }): TokenKeeper {
  const now = opts.now ?? Date.now;
  /** By fingerprint of the credential, so providers sharing one refresh once and a new key starts over. */
  const states = new Map<string, State>();
  const fingerprints = new WeakMap<ProviderRecord, string | null>();
  let closed = false;

  function fingerprint(p: ProviderRecord): string | null {
    let fp = fingerprints.get(p);
    if (fp === undefined) {
      fp = parseOAuthCredential(p.key) ? createHash('sha256').update(p.key).digest('hex') : null;
      fingerprints.set(p, fp);
    }
    return fp;
  }

  function stateOf(p: ProviderRecord): State | undefined {
    const fp = fingerprint(p);
    if (!fp) return undefined;
    let s = states.get(fp);
    if (!s) {
      const cred = parseOAuthCredential(p.key)!;
      s = { name: p.name, cred, accessToken: cred.accessToken ?? '', expiresAt: cred.accessToken ? cred.expiresAt : 0, refreshing: undefined, timer: undefined, failures: 0, refreshedAt: 0, dead: false };
      states.set(fp, s);
      schedule(s);
    }
    return s;
  }

  const expired = (s: State) => !s.accessToken || s.expiresAt <= now() + 10_000;

  function schedule(s: State, delayMs?: number): void {
    if (closed || s.dead) return;
    if (s.timer) clearTimeout(s.timer);
    const lifetime = s.expiresAt - now();
    const wait = delayMs ?? Math.max(0, lifetime - Math.min(AHEAD_MS, lifetime / 2));
    s.timer = setTimeout(() => void refresh(s), Math.min(wait, 2 ** 31 - 1));
    s.timer.unref();
  }

  function refresh(s: State): Promise<void> {
    if (s.refreshing || closed) return s.refreshing ?? Promise.resolve();
    s.refreshing = (async () => {
      const client = { ...opts.client, ...Object.fromEntries(Object.entries(s.cred.client).filter(([, v]) => v)) } as OAuthClient;
      try {
        const res = await fetch(client.tokenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: s.cred.refreshToken, client_id: client.clientId, client_secret: client.clientSecret }),
          signal: AbortSignal.timeout(REFRESH_TIMEOUT_MS),
        });
        const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
        if (!res.ok || typeof body.access_token !== 'string') {
          // Google's error code and description only: the request and answer carry tokens.
          const why = [body.error, body.error_description].filter((x) => typeof x === 'string').join(': ') || `HTTP ${res.status}`;
          if (body.error === 'invalid_grant') {
            s.dead = true;
            opts.logger.error({ provider: s.name, error: why }, 'Google refused the refresh token (revoked or expired); replace this provider\'s credential');
            return;
          }
          throw new Error(why);
        }
        const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600;
        s.accessToken = body.access_token;
        s.expiresAt = now() + lifetimeS * 1000;
        s.failures = 0;
        s.refreshedAt = now();
        opts.logger.info({ provider: s.name, expiresInSeconds: lifetimeS }, 'OAuth access token refreshed');
        schedule(s);
      } catch (err) {
        s.failures++;
        const retryMs = Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** (s.failures - 1));
        opts.logger.warn({ provider: s.name, error: err instanceof Error ? err.message : String(err), retryInSeconds: retryMs / 1000 }, 'OAuth token refresh failed; using the current token meanwhile');
        schedule(s, retryMs);
      } finally {
        s.refreshing = undefined;
      }
    })();
    return s.refreshing;
  }

  return {
    isOAuth: (p) => fingerprint(p) !== null,
    accessToken(p) {
      const s = stateOf(p);
      return s ? s.accessToken : p.key.replace(/^bearer:/, '');
    },
    ensureFresh(providers) {
      let waits: Promise<void>[] | undefined;
      for (const p of providers) {
        if (!p.enabled) continue;
        const s = stateOf(p);
        // A failing refresh is retried on its timer, not by every request.
        if (!s || s.dead || !expired(s) || (s.failures > 0 && !s.refreshing)) continue;
        (waits ??= []).push(refresh(s));
      }
      return waits && Promise.all(waits).then(() => undefined);
    },
    refused(p, sentAt) {
      const s = stateOf(p);
      if (!s || s.dead || s.refreshing || s.refreshedAt >= sentAt) return;
      void refresh(s);
    },
    retain(providers) {
      const keep = new Set(providers.map(fingerprint).filter((fp): fp is string => fp !== null));
      for (const [fp, s] of states) {
        if (keep.has(fp)) continue;
        if (s.timer) clearTimeout(s.timer);
        states.delete(fp);
      }
    },
    close() {
      closed = true;
      for (const s of states.values()) if (s.timer) clearTimeout(s.timer);
    },
  };
}
