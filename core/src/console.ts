import fs from 'node:fs';
import path from 'node:path';
import type Koa from 'koa';
import type { Gateway } from './app.ts';
import { REPO_ROOT } from './paths.ts';

const DIST = path.join(REPO_ROOT, 'console', 'dist');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * Serve the built console (console/dist) at `/`, with the SPA's index for unknown GET paths.
 * Files are read once at start; hashed assets are cached for a year.
 */
export function mountConsole(app: Koa, gw: Gateway): void {
  const files = new Map<string, Buffer>();
  const index = path.join(DIST, 'index.html');
  if (fs.existsSync(index)) {
    for (const f of walk(DIST)) files.set('/' + path.relative(DIST, f).split(path.sep).join('/'), fs.readFileSync(f));
  } else {
    gw.logger.warn({ dist: DIST }, 'console is not built (npm run build:console); serving a placeholder at /');
    files.set('/index.html', Buffer.from('<!doctype html><title>Claude Code Hub</title><h1>Claude Code Hub</h1><p>The console is not built. Run <code>npm run build:console</code>.</p>'));
  }
  const indexHtml = files.get('/index.html')!;
  app.use(async (ctx, next) => {
    if ((ctx.method !== 'GET' && ctx.method !== 'HEAD') || ctx.path.startsWith('/api/')) return next();
    const file = files.get(ctx.path);
    if (file) {
      ctx.type = TYPES[path.extname(ctx.path)] ?? 'application/octet-stream';
      ctx.set('cache-control', ctx.path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      ctx.body = file;
      return;
    }
    if (path.extname(ctx.path)) return next();
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-cache');
    ctx.body = indexHtml;
  });
}

function* walk(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else yield p;
  }
}
