import type { IncomingHttpHeaders } from 'node:http';
import type { Endpoint, WireFormat } from './formats/index.ts';
import type { ProviderAdapter, ProviderRecord, UpstreamErrorClass } from './provider.ts';
import type { Usage } from './usage.ts';
import type { Limits } from './config/schema.ts';

/** Who is calling, as established by the authenticate phase. */
export interface Identity {
  userId: number;
  userName: string;
  keyId: number;
  keyName: string;
  groupName: string | undefined;
  /** Provider groups this caller may use (key overrides user overrides group; `*` = all). */
  providerGroups: string[];
  /** Model globs the key may use; empty = any. */
  allowedModels: string[];
  /** Limits by level; the limit plugins combine them. */
  limits: { key: Limits; user: Limits; group: Limits };
}

/** One provider the proxy may try, in order. */
export interface Candidate {
  provider: ProviderRecord;
  adapter: ProviderAdapter;
  /** Model to send upstream (after redirect). */
  model: string | undefined;
}

/** Outcome of one upstream attempt. */
export interface AttemptRecord {
  provider: string;
  providerId: number;
  model: string | undefined;
  status: number | undefined;
  errorClass: UpstreamErrorClass | undefined;
  error: string | undefined;
  latencyMs: number;
  /** Upstream `Retry-After`, in seconds, when given. */
  retryAfterSeconds?: number;
}

/**
 * How the proxy walks candidates. The route phase sets one; without it the core uses its
 * default (same-format providers by priority). `next` receives the failed attempt, if any.
 */
export interface RoutePlan {
  maxAttempts: number;
  /**
   * The candidate the first `next()` will return, when the plan knows it up front (the balancer's
   * does). Limit plugins count it against the provider while the admission checks are in flight,
   * so both go to the store together; a request that is then refused never reaches it.
   */
  readonly first?: Candidate;
  next(failed: AttemptRecord | undefined): Candidate | undefined;
  /** Told when an attempt's answer went to the client: a success, or an error not worth failing over. */
  succeeded?(attempt: AttemptRecord): void;
  /** Told when the last attempt failed and no candidate is left (the client gets an error). */
  exhausted?(attempt: AttemptRecord): void;
}

/** Why the exchange ended. */
export type Outcome = 'completed' | 'aborted' | 'failed' | 'rejected';

/**
 * Everything the gateway knows about one client request, from arrival to settlement.
 * Plugins read it and add to it; `state` holds plugin-private data under the plugin's name.
 */
export interface Exchange {
  readonly id: string;
  readonly startedAt: Date;
  /** performance.now() at arrival, for durations. */
  readonly t0: number;
  readonly endpoint: Endpoint;
  readonly clientFormat: WireFormat;
  readonly headers: IncomingHttpHeaders;
  /** Query string without the client's `key` parameter ('' or starting with '?'). */
  readonly query: string;
  readonly userAgent: string;
  /** Raw request body as received (decompressed). */
  raw: Buffer;
  /** Parsed JSON body (undefined for GET). */
  body: Record<string, unknown> | undefined;
  /** Model as the client asked for it. */
  model: string | undefined;
  stream: boolean;
  identity?: Identity;
  sessionId?: string;
  plan?: RoutePlan;
  /** The provider that served (or last failed). */
  provider?: ProviderRecord;
  providerFormat?: WireFormat;
  servedModel?: string;
  attempts: AttemptRecord[];
  usage?: Usage;
  status?: number;
  outcome?: Outcome;
  errorClass?: string;
  errorMessage?: string;
  ttfbMs?: number;
  durationMs?: number;
  /** Routing decisions, for the request log (JSON-serialisable). */
  decision: Record<string, unknown>[];
  state: Record<string, unknown>;
}

/** A finished exchange, handed to settle hooks exactly once. */
export interface SettledExchange extends Exchange {
  status: number;
  outcome: Outcome;
  durationMs: number;
}
