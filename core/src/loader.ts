import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import type { TSchema } from '@sinclair/typebox';
import { errors, CchError } from './errors.ts';
import type { PluginEntry } from './config/schema.ts';
import type { PluginDefinition } from './plugin.ts';
import { validate, withDefaults } from './config/validate.ts';
import { CORE_VERSION } from './version.ts';
import { REPO_ROOT } from './paths.ts';

/** A plugin resolved from its YAML entry, options validated, not yet set up. */
export interface ResolvedPlugin {
  def: PluginDefinition<TSchema>;
  /** Where it came from. */
  source: 'builtin' | 'path' | 'package';
  /** The YAML reference (name or path). */
  ref: string;
  /** `plugins[i]` in the YAML. */
  at: string;
  options: unknown;
}

/** Built-in plugins live in this repo's `plugins/<name>` as `@cch/plugin-<name>`. */
const BUILTIN_ROOT = path.join(REPO_ROOT, 'plugins');

/**
 * Set by the bundled `cch` (core/dist/cch.mjs): the built-in plugins compiled into the bundle, by
 * name. Their modules are taken from here instead of being imported from `plugins/<name>/src`,
 * which would need a TypeScript loader.
 */
let bundledBuiltins: ReadonlyMap<string, unknown> | undefined;
export function useBundledBuiltins(modules: Record<string, unknown>): void {
  bundledBuiltins = new Map(Object.entries(modules));
}

let typescriptLoader: Promise<void> | undefined;
/**
 * The bundle runs without a TypeScript loader (tsx's module hooks run a second V8 isolate: about
 * 40 MB). A plugin given as TypeScript (a path to a .ts file, or a package whose entry is one)
 * registers tsx the first time one is loaded.
 */
function ensureTypeScript(): Promise<void> {
  typescriptLoader ??= import('tsx/esm/api').then((m) => {
    m.register();
  });
  return typescriptLoader;
}
const isTypeScript = (specifier: string) => /\.[mc]?tsx?$/.test(specifier);

async function importModule(specifier: string): Promise<unknown> {
  if (bundledBuiltins && isTypeScript(specifier)) await ensureTypeScript();
  try {
    return await import(specifier);
  } catch (err) {
    // A package whose entry is TypeScript: Node says so only when it gets there.
    if (bundledBuiltins && !typescriptLoader && (err as NodeJS.ErrnoException).code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      await ensureTypeScript();
      return import(specifier);
    }
    throw err;
  }
}

/**
 * Resolve every enabled YAML entry to a plugin definition, validate its options against its
 * schema (errors name the YAML path), and order them: `dependsOn` and `after` first, YAML order
 * otherwise. Fails with coded errors for unknown plugins, bad options and missing dependencies.
 */
export async function resolvePlugins(entries: PluginEntry[], baseDir: string, skip: (def: PluginDefinition<TSchema>) => boolean = () => false): Promise<ResolvedPlugin[]> {
  const resolved: ResolvedPlugin[] = [];
  const optionIssues: string[] = [];
  const seen = new Map<string, string>();
  for (const [i, entry] of entries.entries()) {
    if (entry.enabled === false) continue;
    const at = `plugins[${i}]`;
    const { def, source, ref } = await importPlugin(entry, baseDir, at);
    if (skip(def)) continue;
    if (seen.has(def.name)) throw errors.pluginDuplicate(def.name, at);
    seen.set(def.name, at);
    if (!semver.satisfies(CORE_VERSION, def.core, { includePrerelease: true })) throw errors.pluginCoreRange(def.name, def.core, CORE_VERSION);
    let options: unknown = entry.options ?? {};
    if (def.options) {
      const issues = validate(def.options, withDefaults(def.options, options), `${at}.options`);
      if (issues.length) optionIssues.push(...issues.map((m) => `${m} (plugin "${def.name}")`));
      options = withDefaults(def.options, options);
    } else if (entry.options && Object.keys(entry.options).length) {
      optionIssues.push(`${at}.options: plugin "${def.name}" takes no options`);
    }
    resolved.push({ def, source, ref, at, options });
  }
  if (optionIssues.length) {
    const first = optionIssues[0]!;
    const plugin = /\(plugin "([^"]+)"\)$/.exec(first)?.[1] ?? '?';
    throw errors.pluginOptionsInvalid(plugin, optionIssues);
  }
  return sortByDependencies(resolved);
}

async function importPlugin(entry: PluginEntry, baseDir: string, at: string): Promise<Omit<ResolvedPlugin, 'at' | 'options'>> {
  let specifier: string;
  let source: ResolvedPlugin['source'];
  const ref = entry.path ?? entry.name!;
  if (entry.path) {
    source = 'path';
    const dir = path.resolve(baseDir, entry.path);
    const file = entryFile(dir);
    if (!file) throw errors.pluginNotFound(ref, at, `no plugin entry in ${dir} (expected package.json exports/main, src/index.ts or index.js)`);
    specifier = pathToFileURL(file).href;
  } else if (fs.existsSync(path.join(BUILTIN_ROOT, entry.name!, 'package.json'))) {
    source = 'builtin';
    specifier = pathToFileURL(entryFile(path.join(BUILTIN_ROOT, entry.name!))!).href;
  } else {
    source = 'package';
    specifier = entry.name!;
  }
  let mod: { default?: unknown; plugin?: unknown };
  try {
    const bundled = source === 'builtin' ? bundledBuiltins?.get(entry.name!) : undefined;
    mod = (bundled ?? (await importModule(specifier))) as typeof mod;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (source === 'package' && (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && e.message.includes(entry.name!)) {
      throw errors.pluginNotFound(ref, at, 'not a built-in plugin and no npm package of that name is installed');
    }
    throw new CchError('CCH_ERR_PLUGIN_LOAD', `${at}: loading plugin "${ref}" failed: ${e.message}`, { ref, at });
  }
  const def = (mod.default ?? mod.plugin) as PluginDefinition<TSchema> | undefined;
  const why = checkDefinition(def);
  if (why) throw errors.pluginInvalid(ref, at, why);
  return { def: def!, source, ref };
}

function entryFile(dir: string): string | undefined {
  const pkgFile = path.join(dir, 'package.json');
  if (fs.existsSync(pkgFile)) {
    const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { exports?: unknown; main?: string };
    const exp = typeof pkg.exports === 'string' ? pkg.exports : (pkg.exports as Record<string, unknown> | undefined)?.['.'];
    const target = typeof exp === 'string' ? exp : typeof exp === 'object' && exp ? ((exp as Record<string, string>).import ?? (exp as Record<string, string>).default) : pkg.main;
    if (target && fs.existsSync(path.join(dir, target))) return path.join(dir, target);
  }
  for (const f of ['src/index.ts', 'index.ts', 'src/index.js', 'index.js', 'index.mjs']) {
    if (fs.existsSync(path.join(dir, f))) return path.join(dir, f);
  }
  return undefined;
}

function checkDefinition(def: PluginDefinition<TSchema> | undefined): string | undefined {
  if (!def || typeof def !== 'object') return 'its module has no default export (export default definePlugin({...}))';
  if (typeof def.name !== 'string' || !def.name) return 'name is missing';
  if (typeof def.version !== 'string') return 'version is missing';
  if (typeof def.core !== 'string' || !semver.validRange(def.core)) return 'core must be a semver range of @cch/core';
  if (typeof def.setup !== 'function') return 'setup is not a function';
  return undefined;
}

/** Stable topological sort: YAML order unless a dependency requires otherwise. */
function sortByDependencies(list: ResolvedPlugin[]): ResolvedPlugin[] {
  const byName = new Map(list.map((p) => [p.def.name, p]));
  for (const p of list) {
    for (const dep of p.def.dependsOn ?? []) if (!byName.has(dep)) throw errors.pluginDependencyMissing(p.def.name, dep, p.at);
  }
  const out: ResolvedPlugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (p: ResolvedPlugin, trail: string[]) => {
    const s = state.get(p.def.name);
    if (s === 'done') return;
    if (s === 'visiting') throw errors.pluginDependencyCycle([...trail, p.def.name]);
    state.set(p.def.name, 'visiting');
    for (const dep of [...(p.def.dependsOn ?? []), ...(p.def.after ?? [])]) {
      const d = byName.get(dep);
      if (d) visit(d, [...trail, p.def.name]);
    }
    state.set(p.def.name, 'done');
    out.push(p);
  };
  for (const p of list) visit(p, []);
  return out;
}
