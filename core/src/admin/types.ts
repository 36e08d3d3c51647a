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
