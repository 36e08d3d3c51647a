import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { Context } from 'koa';
import { CORE_ROOT } from '../paths.ts';

/**
 * API reference pages, served entirely from local files (no CDN): Swagger UI at `/api/docs` and
 * Scalar at `/api/scalar`, each also at `/api/actions/…`. Both read the spec from
 * `/api/openapi.json`. Asset files are read lazily once per process (they are immutable).
 */

const require = createRequire(import.meta.url);
const SPEC_FILE = path.join(CORE_ROOT, 'src', 'admin', 'generated', 'openapi.json');

interface Asset {
  type: string;
  load: () => Buffer;
}

const cache = new Map<string, Buffer>();
function cached(key: string, load: () => Buffer): Buffer {
  let b = cache.get(key);
  if (!b) {
    b = load();
    cache.set(key, b);
  }
  return b;
}

const swaggerDir = () => path.dirname(require.resolve('swagger-ui-dist/package.json'));
const fromSwagger = (name: string) => () => fs.readFileSync(path.join(swaggerDir(), name));
const text = (s: string) => () => Buffer.from(s, 'utf8');

const JS = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

const SWAGGER_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Claude Code Hub admin API · Swagger UI</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
  <style>body { margin: 0; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/swagger-initializer.js"></script>
</body>
</html>
`;

// validatorUrl: null keeps Swagger UI from calling validator.swagger.io.
const SWAGGER_INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    withCredentials: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  });
});
`;

const SCALAR_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Claude Code Hub admin API · Scalar</title>
</head>
<body>
  <div id="app"></div>
  <script src="/api/scalar/standalone.js"></script>
  <script src="/api/scalar/init.js"></script>
</body>
</html>
`;

// withDefaultFonts: false and telemetry: false keep Scalar from reaching out to scalar.com.
const SCALAR_INIT = `Scalar.createApiReference('#app', {
  url: '/api/openapi.json',
  withDefaultFonts: false,
  telemetry: false,
  metaData: { title: 'Claude Code Hub admin API' }
});
`;

const ASSETS: Record<string, Asset> = {
  '/docs': { type: HTML, load: text(SWAGGER_HTML) },
  '/docs/swagger-initializer.js': { type: JS, load: text(SWAGGER_INIT) },
  '/docs/swagger-ui.css': { type: 'text/css; charset=utf-8', load: fromSwagger('swagger-ui.css') },
  '/docs/swagger-ui-bundle.js': { type: JS, load: fromSwagger('swagger-ui-bundle.js') },
  '/docs/favicon-32x32.png': { type: 'image/png', load: fromSwagger('favicon-32x32.png') },
  '/scalar': { type: HTML, load: text(SCALAR_HTML) },
  '/scalar/init.js': { type: JS, load: text(SCALAR_INIT) },
  '/scalar/standalone.js': { type: JS, load: () => fs.readFileSync(require.resolve('@scalar/api-reference/browser/standalone.js')) },
};

/** The generated OpenAPI document (re-read when the file changes, e.g. after `npm run api:generate`). */
let spec: { mtimeMs: number; body: Buffer } | undefined;
export function openApiDocument(): Buffer {
  const st = fs.statSync(SPEC_FILE);
  if (!spec || spec.mtimeMs !== st.mtimeMs) spec = { mtimeMs: st.mtimeMs, body: fs.readFileSync(SPEC_FILE) };
  return spec.body;
}

/** Serve the spec and the docs pages; returns false when the path is not one of them. */
export function serveDocs(ctx: Context): boolean {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
  if (ctx.path === '/api/openapi.json' || ctx.path === '/api/actions/openapi.json') {
    ctx.type = 'application/json; charset=utf-8';
    ctx.set('cache-control', 'no-cache');
    ctx.body = openApiDocument();
    return true;
  }
  let rest: string | undefined;
  if (ctx.path.startsWith('/api/actions/')) rest = ctx.path.slice('/api/actions'.length);
  else if (ctx.path.startsWith('/api/')) rest = ctx.path.slice('/api'.length);
  if (rest === undefined) return false;
  if (rest.length > 1 && rest.endsWith('/')) rest = rest.slice(0, -1);
  const asset = ASSETS[rest];
  if (!asset) return false;
  ctx.type = asset.type;
  ctx.set('cache-control', asset.type === HTML ? 'no-cache' : 'public, max-age=3600');
  ctx.set('x-content-type-options', 'nosniff');
  ctx.body = cached(rest, asset.load);
  return true;
}
