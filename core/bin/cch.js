#!/usr/bin/env node
// The `cch` command. Runs the compiled bundle (core/dist/cch.mjs, built by `npm run build`, which
// `npm install` runs) when it is newer than every source file; otherwise — or with
// CCH_FROM_SOURCE=1 — the TypeScript sources directly through tsx's loader.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const core = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.dirname(core);
const bundle = path.join(core, 'dist', 'cch.mjs');

/** Newest modification time under `dir` (0 when it does not exist). */
function newest(dir) {
  let max = 0;
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.name.endsWith('.ts')) max = Math.max(max, fs.statSync(p).mtimeMs);
  }
  return max;
}

function bundleIsFresh() {
  let built;
  try {
    built = fs.statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
  const sources = [path.join(core, 'src'), path.join(repo, 'migrations')];
  try {
    for (const p of fs.readdirSync(path.join(repo, 'plugins'))) sources.push(path.join(repo, 'plugins', p, 'src'));
  } catch {
    /* no built-in plugins folder */
  }
  const stale = sources.some((d) => newest(d) > built);
  if (stale) process.stderr.write('cch: sources are newer than core/dist (run `npm run build`); running from source\n');
  return !stale;
}

let entry;
if (process.env.CCH_FROM_SOURCE !== '1' && bundleIsFresh()) {
  entry = pathToFileURL(bundle).href;
} else {
  const { register } = await import('tsx/esm/api');
  register();
  entry = '../src/cli.ts';
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
