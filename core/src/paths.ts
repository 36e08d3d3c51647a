import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const isCore = (dir: string): boolean => {
  const pkg = path.join(dir, 'package.json');
  return fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === '@cch/core';
};

/**
 * The `core/` folder, found from this module's own location by walking up to core's
 * package.json (or to the folder holding `core/`): the same answer whether core runs from its
 * sources (`core/src/…`) or from a bundle (`core/dist/cch.mjs`, the bench's `bench/.build/…`),
 * where files sit at different depths.
 */
function findCoreRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isCore(dir)) return dir;
    if (isCore(path.join(dir, 'core'))) return path.join(dir, 'core');
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`@cch/core: cannot find core's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const CORE_ROOT = findCoreRoot();
/** The repository (or installed package set) core sits in: `plugins/`, `console/` are its siblings. */
export const REPO_ROOT = path.dirname(CORE_ROOT);
