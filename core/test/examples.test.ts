import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { loadConfigFile } from '../src/config/load.ts';
import { resolvePlugins } from '../src/loader.ts';

const REPO = path.resolve(import.meta.dirname, '../..');

/** Every shipped YAML must stay valid: the default config and each example deployment. */
describe('shipped configurations', () => {
  const files = ['config/gateway.yaml', ...fs.readdirSync(path.join(REPO, 'examples/deployments')).filter((f) => f.endsWith('.yaml')).map((f) => `examples/deployments/${f}`)];
  for (const f of files) {
    it(`${f} validates and its plugins load`, async () => {
      const loaded = loadConfigFile(path.join(REPO, f), {});
      const plugins = await resolvePlugins(loaded.config.plugins, REPO);
      expect(plugins.length).to.be.greaterThan(0);
    });
  }
});
