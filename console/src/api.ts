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
  outcome?: string | null;
  errorClass?: string | null;
  sessionId?: string | null;
  attemptCount?: number | null;
  providerFormat?: string | null;
  decision?: RequestDecision | null;
}

/** One upstream attempt of a request's decision chain. */
export interface RequestAttempt {
  provider: string;
  providerId: number;
  model?: string | null;
  status?: number | null;
  errorClass?: string | null;
  error?: string | null;
  latencyMs: number;
  retryAfterSeconds?: number;
}

export interface RequestDecision {
  attempts: RequestAttempt[];
  steps: Record<string, unknown>[];
  unpriced?: boolean;
}

export interface ActiveSession {
  sessionId: string;
  userName: string | null;
  keyName: string | null;
  providerName: string | null;
  model: string | null;
  startedAt: string;
  lastAt: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  costUsd: string;
}

export type LeaderboardDimension = 'user' | 'key' | 'provider' | 'model';
export type LeaderboardPeriod = 'day' | 'week' | 'month';

export interface LeaderboardEntry {
  id: number | null;
  name: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
  costUsd: string;
  cacheHitRate: number | null;
}

export interface Leaderboard {
  by: LeaderboardDimension;
  from: string;
  to: string;
  entries: LeaderboardEntry[];
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface ProviderWindowStats {
  minutes: number;
  attempts: number;
  successes: number;
  failures: number;
  successRate: number | null;
  requests: number;
  latencyMs: Percentiles | null;
  ttfbMs: Percentiles | null;
}

export interface ProviderStatus {
  providerId: number | null;
  providerName: string;
  enabled: boolean | null;
  inFlight: number;
  windows: ProviderWindowStats[];
}

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerState {
  state: CircuitState;
  failures: number;
  openedAt?: number;
  retryAt?: number;
  probes?: number;
}

export interface BreakerSnapshot {
  storage: 'shared' | 'local';
  providers: (BreakerState & { providerId: number; provider: string })[];
}

export interface AlertItem {
  id: string;
  type: string;
  severity: 'info' | 'warning' | 'critical' | string;
  at: string;
  message: string;
  data: Record<string, unknown>;
  delivery: { status: string; attempts: number; error?: string };
}

/** What a plugin route gives when the plugin is not loaded (the endpoint does not exist). */
export const NOT_LOADED = 'not-loaded' as const;
export type Optional<T> = T | typeof NOT_LOADED;

/** A GET on a plugin's route; a 404 means the plugin is not loaded, not an error. */
async function pluginGet<T>(plugin: string, path: string): Promise<Optional<T>> {
  try {
    return await call<T>('GET', `/plugins/${plugin}${path}`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return NOT_LOADED;
    throw e;
  }
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

  sessions: () => pluginGet<{ items: ActiveSession[] }>('accounting', '/sessions'),
  leaderboard: (by: LeaderboardDimension, period: LeaderboardPeriod) =>
    pluginGet<Leaderboard>('accounting', `/leaderboard?by=${encodeURIComponent(by)}&period=${encodeURIComponent(period)}`),
  providerStatus: () => pluginGet<{ items: ProviderStatus[] }>('accounting', '/providers'),
  breaker: () => pluginGet<BreakerSnapshot>('circuit-breaker', '/'),
  breakerReset: (providerId: number) => call<BreakerState>('POST', `/plugins/circuit-breaker/providers/${providerId}/reset`),
  breakerOpen: (providerId: number) => call<BreakerState>('POST', `/plugins/circuit-breaker/providers/${providerId}/open`, {}),
  alerts: () => pluginGet<{ items: AlertItem[] }>('alerts', '/recent'),
};
