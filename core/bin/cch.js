#!/usr/bin/env node
// The `cch` command. Runs the compiled bundle (core/dist/cch.mjs, built by `npm run build`, which
// `npm install` runs) when it is newer than every source file; otherwise — or with
// CCH_FROM_SOURCE=1 — the TypeScript sources directly through tsx's loader.
import { pathToFileURL } from 'node:url';
import { BUNDLE, bundleState } from './bundle-state.js';

let entry;
const state = process.env.CCH_FROM_SOURCE === '1' ? 'forced' : bundleState();
if (state === 'fresh') {
  entry = pathToFileURL(BUNDLE).href;
} else {
  if (state === 'stale') process.stderr.write('cch: sources are newer than core/dist (run `npm run build`); running from source\n');
  const { register } = await import('tsx/esm/api');
  register();
  entry = '../src/cli.ts';
}
const { main } = await import(entry);
process.exitCode = await main(process.argv.slice(2));
