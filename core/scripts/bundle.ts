/**
 * Compiles the gateway and every built-in plugin into plain JavaScript (tsup / esbuild), so
 * `cch start` runs without a TypeScript loader: tsx's module hooks run in a second V8 isolate,
 * about 40 MB of resident memory for the life of the process.
 *
 *   node --import tsx core/scripts/bundle.ts            # core/dist/cch.mjs (run by core/bin/cch.js)
 *   bundle({ entry, outDir })                            # any entry, e.g. the bench's hub process
 *
 * npm packages stay external (imported from node_modules as usual); the workspace's own code
 * (`@cch/core`, the plugins, limits-common) is compiled in, one copy of each. Built-in plugins
 * are registered with the loader (`useBundledBuiltins`) before the entry module runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CORE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO = path.dirname(CORE);

/** Built-in plugins: `plugins/<name>` folders whose `src/index.ts` exports a plugin definition. */
export async function builtinPlugins(): Promise<{ name: string; file: string }[]> {
  const out: { name: string; file: string }[] = [];
  for (const name of fs.readdirSync(path.join(REPO, 'plugins')).sort()) {
    const file = path.join(REPO, 'plugins', name, 'src', 'index.ts');
    if (!fs.existsSync(path.join(REPO, 'plugins', name, 'package.json')) || !fs.existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { default?: { name?: unknown; setup?: unknown } };
    if (typeof mod.default?.setup === 'function' && mod.default.name === name) out.push({ name, file });
  }
  return out;
}

export interface BundleOptions {
  /** The module to run (its exports are the bundle's). */
  entry: string;
  outDir: string;
  /** Output file name without extension. */
  name: string;
}

/** Write `<outDir>/<name>.mjs` (plus lazily loaded chunks) and return its path. */
export async function bundle(opts: BundleOptions): Promise<string> {
  const { build } = await import('tsup');
  const plugins = await builtinPlugins();
  const gen = fs.mkdtempSync(path.join(CORE, '.bundle-'));
  try {
    const rel = (f: string) => JSON.stringify(f.split(path.sep).join('/'));
    fs.writeFileSync(
      path.join(gen, 'builtins.ts'),
      [
        `import { useBundledBuiltins } from ${rel(path.join(CORE, 'src', 'loader.ts'))};`,
        ...plugins.map((p, i) => `import * as p${i} from ${rel(p.file)};`),
        `useBundledBuiltins({ ${plugins.map((p, i) => `${JSON.stringify(p.name)}: p${i}`).join(', ')} });`,
        '',
      ].join('\n'),
    );
    // Imports run in order: the registry is filled before the entry module is evaluated.
    fs.writeFileSync(path.join(gen, `${opts.name}.ts`), `import './builtins.ts';\nexport * from ${rel(path.resolve(opts.entry))};\n`);
    await build({
      entry: { [opts.name]: path.join(gen, `${opts.name}.ts`) },
      outDir: opts.outDir,
      format: ['esm'],
      platform: 'node',
      target: 'node20',
      splitting: true, // the admin API stays a chunk loaded on its first request
      sourcemap: false,
      clean: false,
      silent: true,
      tsconfig: path.join(REPO, 'tsconfig.json'),
      outExtension: () => ({ js: '.mjs' }),
      // npm packages are imported at run time; the workspace's own packages are compiled in.
      skipNodeModulesBundle: true,
      noExternal: [/^@cch\//],
      esbuildOptions(o) {
        o.packages = 'external';
        o.plugins = [
          {
            name: 'cch-workspace',
            setup(b) {
              b.onResolve({ filter: /^@cch\/core(\/testing)?$/ }, (a) => ({
                path: path.join(CORE, 'src', a.path.endsWith('/testing') ? 'testing/index.ts' : 'index.ts'),
              }));
            },
          },
        ];
      },
    });
  } finally {
    fs.rmSync(gen, { recursive: true, force: true });
  }
  return path.join(opts.outDir, `${opts.name}.mjs`);
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const started = Date.now();
  const out = path.join(CORE, 'dist');
  fs.rmSync(out, { recursive: true, force: true });
  try {
    const file = await bundle({ entry: path.join(CORE, 'src', 'cli.ts'), outDir: out, name: 'cch' });
    process.stdout.write(`cch: built ${path.relative(REPO, file)} in ${Date.now() - started} ms\n`);
  } catch (err) {
    // An install without dev dependencies (`npm ci --omit=dev`) has no tsup: cch runs from source.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String((err as Error).message).includes("'tsup'")) throw err;
    process.stdout.write('cch: tsup is not installed, so no bundle was built; cch runs from the TypeScript sources\n');
  }
}
