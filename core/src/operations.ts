import type Koa from 'koa';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Gateway } from './app.ts';

/**
 * `/healthz` (process alive), `/readyz` (DB and store reachable, each named) and `/metrics`
 * (Prometheus text). Plugins add their own metrics to the gateway's registry.
 */
export function mountOperations(app: Koa, gw: Gateway, registry: Registry): void {
  app.use(async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    switch (ctx.path) {
      case '/healthz':
        ctx.body = { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
        return;
      case '/readyz': {
        const r = await gw.ready();
        ctx.status = r.ok ? 200 : 503;
        ctx.body = { status: r.ok ? 'ready' : 'not ready', db: r.db, store: r.store, plugins: r.plugins };
        return;
      }
      case '/metrics':
        ctx.type = registry.contentType;
        ctx.body = await registry.metrics();
        return;
    }
    return next();
  });
}

/** A gateway's Prometheus registry (one per gateway, so two in one process don't clash). */
export function createMetricsRegistry(): Registry {
  const r = new Registry();
  collectDefaultMetrics({ register: r, prefix: 'cch_' });
  return r;
}
