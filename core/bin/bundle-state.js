// Whether the compiled bundle (core/dist/cch.mjs) is current: newer than every TypeScript file it
// is built from (core/src, migrations, plugins/*/src). Plain JavaScript: it runs before any loader.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const core = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.dirname(core);
export const BUNDLE = path.join(core, 'dist', 'cch.mjs');

/** Newest modification time of a .ts file under `dir` (0 when there is none). */
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

/** `missing`, `stale` (a source is newer) or `fresh`. */
export function bundleState() {
  let built;
  try {
    built = fs.statSync(BUNDLE).mtimeMs;
  } catch {
    return 'missing';
  }
  const sources = [path.join(core, 'src'), path.join(repo, 'migrations')];
  try {
    for (const p of fs.readdirSync(path.join(repo, 'plugins'))) sources.push(path.join(repo, 'plugins', p, 'src'));
  } catch {
    /* no built-in plugins folder */
  }
  return sources.some((d) => newest(d) > built) ? 'stale' : 'fresh';
}
