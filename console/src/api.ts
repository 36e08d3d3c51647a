/**
 * Typed client for the gateway admin API (`/api/v1`).
 *
 * Every call is same-origin with the session cookie. A 401 from any call flips
 * `auth.state` to `'anonymous'`, which makes App.vue show the login view.
 */
import { reactive } from 'vue';
import type { JsonSchema } from './schema';

export interface SystemStatus {
  version: string;
  uptimeSeconds: number;
  mode: { db: 'embedded' | 'external' | string; store: 'memory' | 'redis' | string };
  ready: { db: boolean; store: boolean } & Record<string, boolean>;
}

export interface PluginInfo {
  name: string;
  version: string;
  source: 'builtin' | 'path' | 'package' | string;
  phases: string[];
  services: string[];
  providerTypes: string[];
  dependsOn: string[];
  setupMs: number | null;
  optionsSchema?: JsonSchema | null;
  options?: Record<string, unknown> | null;
}

export interface Provider {
  id: number;
  name: string;
  type: string;
  url: string;
  weight: number;
  priority: number;
  groups: string[];
  models: string[];
  enabled: boolean;
  managedBy: 'config' | 'api' | string;
  keyHint?: string | null;
}

export interface RequestRecord {
  requestId: string;
  createdAt: string;
  user: string | null;
  key: string | null;
  provider: string | null;
  clientFormat: string | null;
  model: string | null;
  servedModel?: string | null;
  status: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cacheCreationTokens: number | null;
  cacheReadTokens: number | null;
  costUsd: string | number | null;
  durationMs: number | null;
  ttfbMs: number | null;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type AuthState = 'unknown' | 'authenticated' | 'anonymous';

/** Shared session state; App.vue renders the login view whenever it is `'anonymous'`. */
export const auth = reactive<{ state: AuthState }>({ state: 'unknown' });

const BASE = '/api/v1';

function errorMessage(body: unknown): string | undefined {
  if (body && typeof body === 'object') {
    const err = (body as { error?: unknown }).error;
    if (typeof err === 'string') return err;
    if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
      return (err as { message: string }).message;
    }
    if (typeof (body as { message?: unknown }).message === 'string') return (body as { message: string }).message;
  }
  if (typeof body === 'string' && body.trim() && body.length < 300) return body.trim();
  return undefined;
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(BASE + path, {
      method,
      credentials: 'same-origin',
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'Cannot reach the gateway.');
  }
  const text = await res.text();
  let data: unknown;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (res.status === 401) auth.state = 'anonymous';
  if (!res.ok) {
    const fallback = res.status === 401 ? 'Not signed in.' : `Request failed (${res.status} ${res.statusText}).`;
    throw new ApiError(res.status, errorMessage(data) ?? fallback);
  }
  return data as T;
}

export const isUnauthorized = (e: unknown): boolean => e instanceof ApiError && e.status === 401;

export const api = {
  async login(token: string): Promise<void> {
    await call<{ ok: boolean }>('POST', '/auth/login', { token });
    auth.state = 'authenticated';
  },

  async logout(): Promise<void> {
    try {
      await call<unknown>('POST', '/auth/logout');
    } finally {
      auth.state = 'anonymous';
    }
  },

  /** Resolves the current session; network errors propagate, a 401 resolves to false. */
  async checkSession(): Promise<boolean> {
    try {
      const res = await call<{ authenticated?: boolean }>('GET', '/auth/session');
      const ok = res?.authenticated !== false;
      auth.state = ok ? 'authenticated' : 'anonymous';
      return ok;
    } catch (e) {
      if (isUnauthorized(e)) return false;
      throw e;
    }
  },

  status: () => call<SystemStatus>('GET', '/system/status'),
  plugins: () => call<PluginInfo[]>('GET', '/plugins'),
  providers: () => call<Provider[]>('GET', '/providers'),
  requests: (limit = 50) => call<Page<RequestRecord>>('GET', `/requests?limit=${encodeURIComponent(limit)}`),
};
