import type { TSchema, Static, TObject } from '@sinclair/typebox';
import type { Context, Next } from 'koa';
import type Router from '@koa/router';
import type { Registry } from 'prom-client';
import type { Exchange, SettledExchange } from './exchange.ts';
import type { ProviderAdapter } from './provider.ts';
import type { Logger } from './log.ts';
import type { Env } from './config/env.ts';
import type { GatewayConfig } from './config/schema.ts';
import type { Store } from './store/types.ts';
import type { Database } from './db/database.ts';
import type { ProviderDirectory } from './providers.ts';

/** Pipeline phases, in order. `settle` is not a phase but a hook (see {@link SetupContext.onSettle}). */
export const PHASES = ['authenticate', 'limit', 'route', 'proxy'] as const;
export type Phase = (typeof PHASES)[number];

/** Koa context of a proxied request. */
export interface ProxyContext extends Context {
  exchange: Exchange;
  /**
   * Register an admission check that runs while the pipeline goes on: the proxy waits for every
   * check before it contacts a provider, and a check that rejects fails the request with its error
   * (the first registered one that rejected wins, also over a later phase's error). Limit plugins use
   * it so their store calls are issued together (one round trip) instead of one after another.
   * A plugin whose settle hook undoes what the check did must wait for the check itself.
   */
  admit(check: Promise<unknown>): void;
}

export type PhaseMiddleware = (ctx: ProxyContext, next: Next) => Promise<void> | void;
export type SettleHandler = (exchange: SettledExchange) => Promise<void> | void;

/**
 * Services plugins offer each other. A plugin that provides one declares it by augmentation:
 * ```ts
 * declare module '@cch/core' { interface Services { breaker: BreakerService } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}

/** What a plugin's `setup` gets. */
export interface SetupContext<O = unknown> {
  readonly name: string;
  readonly options: O;
  readonly logger: Logger;
  readonly env: Env;
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly db: Database;
  readonly providers: ProviderDirectory;
  /** The gateway's Prometheus registry, served at /metrics. */
  readonly metrics: Registry;
  /** Add middleware to a phase. Within a tier, YAML order decides. */
  use(phase: Phase, middleware: PhaseMiddleware, opts?: { order?: 'pre' | 'post' }): void;
  /**
   * Run once per exchange after it finished (drained, aborted or failed), with final usage.
   * Handlers start in plugin order — each one's synchronous part (up to its first `await`) runs
   * before the next starts, so what a handler sets synchronously on the exchange is there for later
   * plugins (`after:` orders them) — and then run concurrently, so their store calls go out together.
   */
  onSettle(handler: SettleHandler): void;
  provide<K extends keyof Services>(name: K, service: Services[K]): void;
  /** A service another plugin provides; throws a coded error when missing. */
  inject<K extends keyof Services>(name: K): Services[K];
  /** A service if some plugin provides it (looked up now: order with `after`). */
  tryInject<K extends keyof Services>(name: K): Services[K] | undefined;
  registerProvider(adapter: ProviderAdapter): void;
  /** Routes under `/api/v1/plugins/<name>/…`, admin-authenticated. */
  readonly router: Router;
  onClose(fn: () => Promise<void> | void): void;
  /**
   * Report this plugin's health in /readyz (e.g. running on local fallback state while Redis is
   * down). A degraded plugin does not make the hub unready: plugins fail open.
   */
  reportHealth(fn: () => PluginHealth | Promise<PluginHealth>): void;
}

/** What a plugin reports to /readyz. */
export interface PluginHealth {
  degraded: boolean;
  [detail: string]: unknown;
}

/** A plugin: a plain typed object. */
export interface PluginDefinition<S extends TSchema = TSchema> {
  name: string;
  version: string;
  /** Semver range of @cch/core this plugin works with. */
  core: string;
  description?: string;
  /** What the plugin does; `limit` plugins are all skipped when ENABLE_RATE_LIMIT=false. */
  kind?: 'auth' | 'limit' | 'routing' | 'resilience' | 'accounting' | 'provider' | 'extension';
  /** JSON Schema (TypeBox) of the options: descriptions, defaults and bounds are the docs. */
  options?: S;
  /** Plugins that must be loaded, and set up, before this one. */
  dependsOn?: string[];
  /** Plugins to set up before this one when they are loaded (soft ordering). */
  after?: string[];
  setup(ctx: SetupContext<Static<S>>): Promise<void> | void;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export function definePlugin<S extends TSchema = TObject<{}>>(def: PluginDefinition<S>): PluginDefinition<S> {
  return def;
}
