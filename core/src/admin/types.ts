/**
 * Wire shapes of the admin API (`/api/v1`). tsoa reads these to build the OpenAPI schemas and the
 * request validation, so keep them plain interfaces (no imported runtime types).
 */

/** Every error response: a message, and for validation failures the offending fields. */
export interface ErrorBody {
  error: {
    message: string;
    /** Per-field validation messages (400 only), keyed by parameter path such as `body.token`. */
    fields?: { [field: string]: { message: string; value?: unknown } };
    /** Request id to quote when reporting a server error (500 only). */
    requestId?: string;
  };
}

export interface OkBody {
  ok: boolean;
}

export interface LoginRequest {
  /** The gateway's ADMIN_TOKEN. */
  token: string;
}

export interface SessionInfo {
  authenticated: boolean;
}

export interface SystemStatus {
  /** Version of @cch/core. */
  version: string;
  /** Seconds since this gateway started. */
  uptimeSeconds: number;
  mode: {
    db: 'embedded' | 'external';
    store: 'memory' | 'redis';
  };
  ready: {
    db: boolean;
    store: boolean;
  };
}

export interface PluginSummary {
  name: string;
  version: string;
  description?: string;
  kind?: string;
  source: 'builtin' | 'path' | 'package';
  /** Pipeline phases the plugin added middleware to. */
  phases: string[];
  /** Services the plugin provides. */
  services: string[];
  /** Provider types (adapters) the plugin registers. */
  providerTypes: string[];
  dependsOn: string[];
  /** Time spent in `setup`, in milliseconds. */
  setupMs: number;
  /** JSON Schema of the plugin's options. */
  optionsSchema: { [key: string]: unknown } | null;
  /** Effective options; values under secret-looking keys (key, token, secret, password) are redacted. */
  options: { [key: string]: unknown } | null;
}

export interface ProviderSummary {
  /** @isInt */
  id: number;
  name: string;
  type: string;
  url: string;
  /** @isInt */
  weight: number;
  /** @isInt */
  priority: number;
  groups: string[];
  models: string[];
  enabled: boolean;
  /** `config` rows come from YAML and are read-only here. */
  managedBy: 'config' | 'api';
  /** Last characters of the credential (the credential itself is never returned). */
  keyHint: string;
  modelRedirects: { [from: string]: string };
  costMultiplier: number;
  limits: LimitsBody;
  /** `true`, `false`, or the client formats it accepts translated requests from. */
  acceptsTranslation: boolean | string[];
}

/**
 * Limits (SPEC §3), valid on keys, users, groups and providers. Absent = no limit on this level.
 * The same rules as in the YAML: counts are whole numbers ≥ 1, USD amounts ≥ 0.
 */
export interface LimitsBody {
  /** Requests per minute (sliding window). */
  rpm?: number;
  /** Distinct sessions active at once. */
  concurrentSessions?: number;
  /** Requests in flight at once (hard cap). */
  concurrentRequests?: number;
  /** USD over a rolling 5 hours. */
  usd5h?: number;
  usdDaily?: number;
  usdWeekly?: number;
  usdMonthly?: number;
  usdTotal?: number;
}

/** A provider to create. Fields and rules as under `providers:` in the YAML. */
export interface ProviderInput {
  name: string;
  /** A provider type some loaded plugin handles (claude, codex, gemini, gemini-cli, openai, …). */
  type: string;
  /** http(s) base URL. */
  url: string;
  /** The upstream credential; stored encrypted, never returned. */
  key: string;
  /** @isInt */
  weight?: number;
  /** @isInt */
  priority?: number;
  groups?: string[];
  models?: string[];
  modelRedirects?: { [from: string]: string };
  costMultiplier?: number;
  limits?: LimitsBody;
  enabled?: boolean;
  acceptsTranslation?: boolean | string[];
}

/** Changes to a provider; absent fields stay as they are (send `key` only to replace it). */
export interface ProviderUpdate {
  name?: string;
  type?: string;
  url?: string;
  key?: string;
  /** @isInt */
  weight?: number;
  /** @isInt */
  priority?: number;
  groups?: string[];
  models?: string[];
  modelRedirects?: { [from: string]: string };
  costMultiplier?: number;
  limits?: LimitsBody;
  enabled?: boolean;
  acceptsTranslation?: boolean | string[];
}

/** Options of a provider test. */
export interface ProviderTestRequest {
  /** Model to probe with (default: the provider's first non-glob model, else one per wire format); redirects apply. */
  model?: string;
}

/** Settings of a provider not saved yet, to test before creating it. */
export interface ProviderTestInput {
  type: string;
  url: string;
  key: string;
  model?: string;
  models?: string[];
  modelRedirects?: { [from: string]: string };
}

/** What a provider test found. Never carries the credential or the provider's raw answer. */
export interface ProviderTestResult {
  ok: boolean;
  /**
   * Upstream HTTP status; null when no answer came.
   * @isInt
   */
  status: number | null;
  /** @isInt */
  latencyMs: number;
  /** Model the probe asked for. */
  model: string | null;
  /** `auth`, `not_found`, `rate_limited`, `overloaded`, `server`, `timeout`, `network`, `client`, or `blocked` (refused address). */
  errorClass: string | null;
  /** The provider's own error message, or what went wrong. */
  message: string | null;
}

export interface GroupSummary {
  /** @isInt */
  id: number;
  name: string;
  providerGroups: string[];
  limits: LimitsBody;
  managedBy: 'config' | 'api';
  /** Names of the users in this group. */
  users: string[];
}

export interface GroupInput {
  name: string;
  /** Provider groups its users may use (default `["default"]`). */
  providerGroups?: string[];
  limits?: LimitsBody;
}

/** Changes to a group; absent fields stay. Renaming moves its users along. */
export interface GroupUpdate {
  name?: string;
  providerGroups?: string[];
  limits?: LimitsBody;
}

export interface KeySummary {
  /** @isInt */
  id: number;
  /** @isInt */
  userId: number;
  name: string;
  /** First characters of the key, to recognise it (`hub_sk_AbC…`); the key itself is shown once, at creation. */
  keyHint: string;
  enabled: boolean;
  /** ISO 8601; null = never. */
  expiresAt: string | null;
  /** Model globs this key may use; null = any the user may. */
  allowedModels: string[] | null;
  /** User-agent patterns this key may be used from; null = any. */
  allowedClients: string[] | null;
  /** Overrides the user's provider groups; null = the user's. */
  providerGroups: string[] | null;
  limits: LimitsBody;
  managedBy: 'config' | 'api';
  /** ISO 8601, to the minute; null = never used. */
  lastUsedAt: string | null;
  createdAt: string;
}

/** A key just created: the only response that carries the plaintext key. */
export interface CreatedKey extends KeySummary {
  /** `hub_sk_` + 40 base62 characters. Store it now: it cannot be shown again. */
  key: string;
}

export interface KeyInput {
  name: string;
  enabled?: boolean;
  /** ISO 8601 date-time; null or absent = never expires. */
  expiresAt?: string | null;
  allowedModels?: string[] | null;
  allowedClients?: string[] | null;
  providerGroups?: string[] | null;
  limits?: LimitsBody;
}

/** Changes to a key; absent fields stay, null clears. */
export interface KeyUpdate {
  name?: string;
  enabled?: boolean;
  expiresAt?: string | null;
  allowedModels?: string[] | null;
  allowedClients?: string[] | null;
  providerGroups?: string[] | null;
  limits?: LimitsBody;
}

export interface UserSummary {
  /** @isInt */
  id: number;
  name: string;
  /** Group name; null = none. */
  group: string | null;
  /** Overrides the group's provider groups; null = the group's. */
  providerGroups: string[] | null;
  limits: LimitsBody;
  enabled: boolean;
  expiresAt: string | null;
  managedBy: 'config' | 'api';
  createdAt: string;
  keys: KeySummary[];
}

export interface UserInput {
  name: string;
  group?: string | null;
  providerGroups?: string[] | null;
  limits?: LimitsBody;
  enabled?: boolean;
  expiresAt?: string | null;
}

/** Changes to a user; absent fields stay, null clears. */
export interface UserUpdate {
  name?: string;
  group?: string | null;
  providerGroups?: string[] | null;
  limits?: LimitsBody;
  enabled?: boolean;
  expiresAt?: string | null;
}

export interface RequestRecord {
  requestId: string;
  /** ISO 8601 timestamp. */
  createdAt: string;
  /** User name, when the request was authenticated. */
  user: string | null;
  /** API key name, when the request was authenticated. */
  key: string | null;
  provider: string | null;
  clientFormat: string;
  model: string | null;
  servedModel: string | null;
  /** @isInt */
  status: number;
  /** @isInt */
  inputTokens: number;
  /** @isInt */
  outputTokens: number;
  /** @isInt */
  cacheCreationTokens: number;
  /** @isInt */
  cacheReadTokens: number;
  /** Decimal string (exact). */
  costUsd: string;
  /** @isInt */
  durationMs: number;
  /** @isInt */
  ttfbMs: number | null;
  /** Why the exchange ended: `completed`, `aborted`, `failed` or `rejected`. */
  outcome: string;
  /** Error class of the final failure (e.g. `rate_limit`, `server`, `timeout`); null on success. */
  errorClass: string | null;
  /** Session id derived from the client request, when one was found. */
  sessionId: string | null;
  /**
   * Upstream attempts made (failover included).
   * @isInt
   */
  attemptCount: number;
  /** Wire format spoken to the provider (differs from `clientFormat` when translated). */
  providerFormat: string | null;
  /** The routing decision chain; null when no provider was tried. */
  decision: RequestDecision | null;
}

/** One upstream attempt in a request's decision chain. */
export interface RequestAttempt {
  provider: string;
  /** @isInt */
  providerId: number;
  model?: string | null;
  /** Upstream HTTP status; absent for network errors and timeouts. */
  status?: number | null;
  /** Why the attempt failed; absent for the attempt that answered. */
  errorClass?: string | null;
  error?: string | null;
  latencyMs: number;
  retryAfterSeconds?: number;
}

/** The routing record stored with a logged request. */
export interface RequestDecision {
  attempts: RequestAttempt[];
  /** Routing steps as the route plugin explained them (plugin-defined objects). */
  steps: { [key: string]: unknown }[];
  /** True when the model had no known price and the request was logged at $0. */
  unpriced?: boolean;
}

export interface RequestPage {
  items: RequestRecord[];
  /**
   * Number of logged requests in total.
   * @isInt
   */
  total: number;
}
