import http from 'node:http';
import { randomUUID } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import type { TSchema } from '@sinclair/typebox';
import { readEnv, type Env } from './config/env.ts';
import { loadConfigFile, type LoadedConfig } from './config/load.ts';
import { createLogger, type Logger } from './log.ts';
import { errors, CchError } from './errors.ts';
import { resolvePlugins } from './loader.ts';
import { Pipeline } from './pipeline.ts';
import type { Phase, PluginDefinition, PluginHealth, Services, SettleHandler, SetupContext } from './plugin.ts';
import type { Exchange } from './exchange.ts';
import { bootResources, type Resources } from './boot.ts';
import { createSecretBox, type SecretBox } from './secrets.ts';
import { syncConfig } from './db/sync.ts';
import { captureOrmAsyncContext } from './db/async-context.ts';
import { withDeadline } from './deadline.ts';
import { createProviderRegistry, type ProviderDirectory } from './providers.ts';
import { Transport } from './proxy/transport.ts';
import { createProxyHandler } from './proxy/handler.ts';
import type { Store } from './store/types.ts';
import type { Database } from './db/database.ts';
import { mountOperations, createMetricsRegistry } from './operations.ts';
import type { Registry } from 'prom-client';
import { mountAdmin } from './admin/mount.ts';
import { mountConsole } from './console.ts';

/** Store channel published after providers, groups, users or keys changed (YAML reload, API). */
export const CONFIG_CHANNEL = 'config:changed';

export interface GatewayOptions {
  env?: Env;
  config?: LoadedConfig;
  logger?: Logger;
  /** Store key prefix (tests give each run its own). Default `cch:`. */
  storePrefix?: string;
}

/** A loaded plugin, as `cch plugins` and the admin API show it. */
export interface PluginInfo {
  name: string;
  version: string;
  description: string | undefined;
  kind: PluginDefinition['kind'];
  source: 'builtin' | 'path' | 'package';
  ref: string;
  at: string;
  dependsOn: string[];
  phases: Phase[];
  services: string[];
  providerTypes: string[];
  setupMs: number;
  optionsSchema: TSchema | undefined;
  options: unknown;
}

export interface ReadyState {
  ok: boolean;
  db: { ok: boolean; mode: 'embedded' | 'external' };
  store: { ok: boolean; kind: 'memory' | 'redis' };
  /** Plugins that report health (see SetupContext.reportHealth). */
  plugins: Record<string, PluginHealth>;
}

export interface Gateway {
  readonly app: Koa;
  readonly env: Env;
  readonly config: LoadedConfig;
  readonly logger: Logger;
  readonly store: Store;
  readonly db: Database;
  readonly providers: ProviderDirectory;
  readonly pipeline: Pipeline;
  readonly plugins: readonly PluginInfo[];
  readonly services: Partial<Services>;
  readonly mode: Resources['mode'];
  readonly metrics: Registry;
  readonly startedAt: Date;
  /** Exchanges in flight. */
  readonly inflight: ReadonlySet<Exchange>;
  ready(): Promise<ReadyState>;
  /**
   * Re-read the YAML file and re-sync providers, groups, users and keys (SIGHUP). Other
   * instances sharing the store refresh too. Plugin list changes need a restart.
   */
  reloadConfig(): Promise<void>;
  /**
   * After providers, groups, users or keys changed in the database (the admin API): reload the
   * providers here and tell every instance sharing the store, whose caches (auth's key cache,
   * the provider list) refresh on that notice. Resolves once this instance has heard it back.
   */
  applyChange(): Promise<void>;
  /** Encrypts provider credentials at rest (CCH_SECRET). */
  readonly secrets: SecretBox;
  /** Listen on a port (0 = any free one); resolves with the bound URL. */
  listen(port?: number, host?: string): Promise<{ port: number; url: string }>;
  /** Stop accepting, let in-flight streams finish (bounded), flush plugins, close DB and store. */
  close(): Promise<void>;
}

/**
 * Build a gateway: load and validate plugins first (bad config fails before anything starts),
 * then open PostgreSQL and the store, sync YAML-declared rows, set up plugins in order, and
 * assemble the Koa app.
 */
export async function createGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  const env = opts.env ?? readEnv();
  if (env.production && env.adminToken === 'change-me') throw errors.adminTokenInsecure();
  const logger = opts.logger ?? createLogger({ level: env.logLevel });
  const config = opts.config ?? loadConfigFile(env.configFile);
  const resolved = await resolvePlugins(config.config.plugins, config.baseDir, (def) => {
    const off = !env.enableRateLimit && def.kind === 'limit';
    if (off) logger.warn({ plugin: def.name }, 'ENABLE_RATE_LIMIT=false: limit plugin not loaded');
    return off;
  });
  const res = await bootResources(env, logger, opts.storePrefix ?? 'cch:');
  const closeFns: { plugin: string; fn: () => Promise<void> | void }[] = [];
  const transport = new Transport();
  try {
    const box = createSecretBox(res.secret);
    const report = await syncConfig(res.db.em(), config.config, box);
    logger.info(report, 'configuration synced to the database');
    // Keep Node 20's promise hooks off on the request path (see db/async-context.ts).
    await captureOrmAsyncContext(res.db.em());
    const providers = createProviderRegistry(res.db, box, logger);
    const pipeline = new Pipeline();
    const settleHandlers: SettleHandler[] = [];
    const services: Partial<Services> = {};
    const serviceOwner = new Map<string, string>();
    const plugins: PluginInfo[] = [];
    const pluginRouter = new Router({ prefix: '/api/v1/plugins' });
    const metrics = createMetricsRegistry();
    const healthReporters = new Map<string, () => PluginHealth | Promise<PluginHealth>>();

    for (const rp of resolved) {
      const name = rp.def.name;
      const info: PluginInfo = {
        name,
        version: rp.def.version,
        description: rp.def.description,
        kind: rp.def.kind,
        source: rp.source,
        ref: rp.ref,
        at: rp.at,
        dependsOn: rp.def.dependsOn ?? [],
        phases: [],
        services: [],
        providerTypes: [],
        setupMs: 0,
        optionsSchema: rp.def.options,
        options: rp.options,
      };
      const router = new Router({ prefix: `/${name}` });
      const ctx: SetupContext<unknown> = {
        name,
        options: rp.options,
        logger: logger.child({ plugin: name }),
        env,
        config: config.config,
        store: res.store,
        db: res.db,
        providers,
        metrics,
        router,
        use: (phase, mw, o) => pipeline.add(name, phase, mw, o?.order),
        onSettle: (h) => void settleHandlers.push(h),
        provide: (key, service) => {
          const k = String(key);
          if (serviceOwner.has(k)) throw errors.serviceDuplicate(k, name, serviceOwner.get(k)!);
          serviceOwner.set(k, name);
          services[key] = service;
          info.services.push(k);
        },
        inject: (key) => {
          const s = services[key];
          if (s === undefined) throw errors.serviceMissing(String(key), name);
          return s as Services[typeof key];
        },
        tryInject: (key) => services[key],
        registerProvider: (adapter) => {
          providers.register(adapter, name);
          info.providerTypes.push(adapter.type);
        },
        onClose: (fn) => void closeFns.push({ plugin: name, fn }),
        reportHealth: (fn) => void healthReporters.set(name, fn),
      };
      const t = performance.now();
      try {
        await rp.def.setup(ctx);
      } catch (err) {
        throw err instanceof CchError ? err : errors.pluginSetupFailed(name, err);
      }
      info.setupMs = Math.round((performance.now() - t) * 100) / 100;
      info.phases = pipeline.phasesOf(name);
      pluginRouter.use(router.routes());
      plugins.push(info);
      logger.debug({ plugin: name, ms: info.setupMs }, 'plugin set up');
    }
    await providers.refresh();
    /** Messages this instance published and waits to hear back (see reloadConfig). */
    const ownNotices = new Map<string, () => void>();
    const unsubscribe = await res.store.subscribe(CONFIG_CHANNEL, (message) => {
      const heard = ownNotices.get(message);
      if (heard) {
        // Our own reload: the providers are already fresh; plugins' handlers got it in this same dispatch.
        heard();
        return;
      }
      providers.refresh().catch((err: unknown) => logger.error({ err }, 'provider refresh failed'));
    });
    closeFns.unshift({ plugin: 'core', fn: unsubscribe });
    for (const p of providers.list()) {
      if (!providers.adapter(p.type)) logger.warn({ provider: p.name, type: p.type }, 'no loaded plugin handles this provider type; it will not be used');
    }

    const inflight = new Set<Exchange>();
    const app = new Koa({ proxy: false });
    app.silent = true;
    app.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      logger.error({ err }, 'unhandled error in request');
    });
    app.use(async (ctx, next) => {
      ctx.state.t0 = performance.now();
      ctx.state.requestId = randomUUID();
      ctx.set('x-cch-request-id', ctx.state.requestId as string);
      await next();
    });

    let server: http.Server | undefined;
    let closing: Promise<void> | undefined;
    const gw: Gateway = {
      app,
      env,
      config,
      logger,
      store: res.store,
      db: res.db,
      providers,
      pipeline,
      plugins,
      services,
      mode: res.mode,
      metrics,
      startedAt: new Date(),
      inflight,
      async ready() {
        const [db, store] = await Promise.all([res.db.ping(), res.store.ping()]);
        const pluginHealth: Record<string, PluginHealth> = {};
        for (const [name, fn] of healthReporters) {
          try {
            pluginHealth[name] = await fn();
          } catch (err) {
            pluginHealth[name] = { degraded: true, error: (err as Error).message };
          }
        }
        return { ok: db && store, db: { ok: db, mode: res.mode.db }, store: { ok: store, kind: res.mode.store }, plugins: pluginHealth };
      },
      async reloadConfig() {
        if (!config.file) return;
        const next = loadConfigFile(config.file);
        if (JSON.stringify(next.config.plugins) !== JSON.stringify(config.config.plugins)) {
          logger.warn('the plugins list changed in the YAML; restart to apply plugin changes');
        }
        const report = await syncConfig(res.db.em(), next.config, box);
        await gw.applyChange();
        logger.info(report, 'configuration reloaded');
      },
      async applyChange() {
        await providers.refresh();
        // Wait (briefly) until this instance has heard its own notice: plugins that cache
        // configuration (auth's key cache) clear it on that message, and a request right after
        // the change must not see the old state.
        const notice = `${Date.now()}:${randomUUID()}`;
        const heard = new Promise<void>((resolve) => ownNotices.set(notice, resolve));
        try {
          // The change is saved and applied here whatever happens next: a store that cannot
          // publish (Redis down) only delays the other instances, it does not fail the change.
          await res.store.publish(CONFIG_CHANNEL, notice);
          await withDeadline(heard, 2000, 'config change notice not heard back').catch((err: unknown) => logger.warn({ err }, 'own change notice not received in time'));
        } catch (err) {
          logger.warn({ err }, 'could not announce a configuration change: instances see key and user changes when their auth cache expires (seconds), provider changes only after their own reload');
        } finally {
          ownNotices.delete(notice);
        }
      },
      secrets: box,
      listen(port = env.port, host) {
        return new Promise((resolve, reject) => {
          server = http.createServer(app.callback());
          server.keepAliveTimeout = 65_000;
          server.headersTimeout = 66_000;
          server.requestTimeout = 0; // streams may run for many minutes
          server.once('error', reject);
          server.listen(port, host, () => {
            const addr = server!.address() as { port: number };
            resolve({ port: addr.port, url: `http://${host && host !== '0.0.0.0' ? host : '127.0.0.1'}:${addr.port}` });
          });
        });
      },
      close() {
        closing ??= (async () => {
          const grace = config.config.settings?.shutdownGraceMs ?? 30_000;
          if (server) {
            const closed = new Promise<void>((r) => server!.close(() => r()));
            server.closeIdleConnections();
            const deadline = Date.now() + grace;
            while (inflight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
            if (inflight.size > 0) logger.warn({ inflight: inflight.size }, 'shutdown grace period over; cutting remaining streams');
            server.closeAllConnections();
            await closed;
          }
          for (const { plugin, fn } of closeFns.reverse()) {
            try {
              await fn();
            } catch (err) {
              logger.error({ plugin, err }, 'plugin close failed');
            }
          }
          await transport.close();
          await res.db.close();
          await res.store.close();
          await res.stopEmbedded?.();
        })();
        return closing;
      },
    };

    mountOperations(app, gw, metrics);
    app.use(createProxyHandler({ pipeline, settleHandlers, transport, providers, logger, finalizers: new WeakMap(), maxBodyBytes: config.config.settings?.maxBodyBytes ?? 64 * 1024 * 1024, inflight }));
    mountAdmin(app, gw, pluginRouter);
    mountConsole(app, gw);
    return gw;
  } catch (err) {
    for (const { fn } of closeFns.reverse()) await Promise.resolve(fn()).catch(() => {});
    await transport.close();
    await res.db.close().catch(() => {});
    await res.store.close().catch(() => {});
    await res.stopEmbedded?.().catch(() => {});
    throw err;
  }
}
