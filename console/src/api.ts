/**
 * Typed client for the gateway admin API (`/api/v1`).
 *
 * Every call is same-origin with the session cookie. A 401 from any call flips
 * `auth.state` to `'anonymous'`, which makes App.vue show the login view.
 */
import { reactive } from 'vue';
import type { JsonSchema } from './schema';
import type {
  CreatedKey,
  GroupInput,
  GroupSummary,
  GroupUpdate,
  KeyInput,
  KeySummary,
  KeyUpdate,
  ProviderInput,
  ProviderSummary,
  ProviderTestResult,
  ProviderUpdate,
  UserInput,
  UserSummary,
  UserUpdate,
} from './api-types';

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

/** Who owns a row: `config` rows are declared in the YAML and read-only here (the API answers 409). */
export type ManagedBy = 'config' | 'api';

/** Client formats a provider may accept translated requests from. */
export type ClientFormat = 'anthropic-messages' | 'openai-chat' | 'openai-responses' | 'gemini';

// The management API's shapes, generated from the server's OpenAPI document (api-types.ts).
export type {
  CreatedKey,
  GroupInput,
  GroupSummary,
  GroupUpdate,
  KeyInput,
  KeySummary,
  KeyUpdate,
  LimitsBody,
  ProviderInput,
  ProviderTestResult,
  ProviderUpdate,
  UserInput,
  UserSummary,
  UserUpdate,
} from './api-types';
/** A provider as the API lists it. */
export type Provider = ProviderSummary;

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

/** Per-field validation messages of a 400, keyed by parameter path such as `body.limits.rpm`. */
export type FieldErrors = Record<string, { message: string; value?: unknown }>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Per-field messages (400 only). */
    readonly fields?: FieldErrors,
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

function errorFields(body: unknown): FieldErrors | undefined {
  const err = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  const fields = err && typeof err === 'object' ? (err as { fields?: unknown }).fields : undefined;
  if (!fields || typeof fields !== 'object') return undefined;
  const out: FieldErrors = {};
  for (const [k, v] of Object.entries(fields as Record<string, unknown>)) {
    const message = v && typeof v === 'object' ? (v as { message?: unknown }).message : v;
    if (typeof message === 'string') out[k] = { message };
  }
  return Object.keys(out).length ? out : undefined;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One API call; a 204 (or any empty body) resolves to `undefined`. */
async function call<T>(method: Method, path: string, body?: unknown): Promise<T> {
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
    throw new ApiError(res.status, errorMessage(data) ?? fallback, res.status === 400 ? errorFields(data) : undefined);
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

  createProvider: (body: ProviderInput) => call<Provider>('POST', '/providers', body),
  updateProvider: (id: number, body: ProviderUpdate) => call<Provider>('PATCH', `/providers/${id}`, body),
  deleteProvider: (id: number) => call<void>('DELETE', `/providers/${id}`),
  testProvider: (id: number, model?: string) => call<ProviderTestResult>('POST', `/providers/${id}/test`, model ? { model } : {}),

  groups: () => call<GroupSummary[]>('GET', '/groups'),
  createGroup: (body: GroupInput) => call<GroupSummary>('POST', '/groups', body),
  updateGroup: (id: number, body: GroupUpdate) => call<GroupSummary>('PATCH', `/groups/${id}`, body),
  deleteGroup: (id: number) => call<void>('DELETE', `/groups/${id}`),

  users: () => call<UserSummary[]>('GET', '/users'),
  createUser: (body: UserInput) => call<UserSummary>('POST', '/users', body),
  updateUser: (id: number, body: UserUpdate) => call<UserSummary>('PATCH', `/users/${id}`, body),
  deleteUser: (id: number) => call<void>('DELETE', `/users/${id}`),
  /** The response is the only time the plaintext key exists outside the caller: never store it. */
  createKey: (userId: number, body: KeyInput) => call<CreatedKey>('POST', `/users/${userId}/keys`, body),
  updateKey: (id: number, body: KeyUpdate) => call<KeySummary>('PATCH', `/keys/${id}`, body),
  deleteKey: (id: number) => call<void>('DELETE', `/keys/${id}`),
};
