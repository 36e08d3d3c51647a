/**
 * Post-generation step of `npm run api:generate` (after `tsoa spec-and-routes`).
 *
 * tsoa 6's Koa template imports the router as `import type * as KoaRouter from '@koa/router'`
 * and then uses `KoaRouter` as a type, which @koa/router 15's own typings (a default-exported
 * class) reject (TS2709). Rewrite that one import to a default type import so the rest of the
 * generated file stays type-checked; if the template ever changes shape, fall back to
 * `// @ts-nocheck` rather than leaving a broken build.
 */
import fs from 'node:fs';
import path from 'node:path';

const file = path.join(import.meta.dirname, 'generated', 'routes.ts');
const NAMESPACE_IMPORT = /^import type \* as KoaRouter from '@koa\/router';$/m;

let src = fs.readFileSync(file, 'utf8');
if (NAMESPACE_IMPORT.test(src)) {
  src = src.replace(NAMESPACE_IMPORT, "import type KoaRouter from '@koa/router';");
  console.log(`${path.relative(process.cwd(), file)}: rewrote the @koa/router type import`);
} else if (!/^import type KoaRouter from '@koa\/router';$/m.test(src) && !src.startsWith('// @ts-nocheck')) {
  src = `// @ts-nocheck -- tsoa template changed; see core/src/admin/postgenerate.ts\n${src}`;
  console.warn(`${path.relative(process.cwd(), file)}: unexpected router import; added // @ts-nocheck`);
}
fs.writeFileSync(file, src);

// The console's types for the admin API, from the spec just written.
const { writeConsoleTypes } = await import('./console-types.ts');
console.log(`${path.relative(process.cwd(), writeConsoleTypes())}: written from the OpenAPI document`);
