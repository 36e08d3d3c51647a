import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { resolvePlugins } from '../src/loader.ts';
import { parseConfig } from '../src/config/load.ts';
import { CchError } from '../src/errors.ts';

const CORE = path.resolve(import.meta.dirname, '../src/index.ts');

/** Write a throwaway plugin folder and return its path. */
function writePlugin(root: string, folder: string, body: string): string {
  const dir = path.join(root, folder);
  fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `test-plugin-${folder}`, type: 'module', exports: { '.': './src/index.ts' } }));
  fs.writeFileSync(path.join(dir, 'src/index.ts'), `import { definePlugin } from ${JSON.stringify(CORE)};\nimport { Type } from '@sinclair/typebox';\n${body}\n`);
  return dir;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<CchError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(CchError);
    expect((err as CchError).code).to.equal(code);
    return err as CchError;
  }
  throw new Error(`expected ${code}`);
}

describe('plugin loader', () => {
  let root: string;
  before(() => {
    // Inside the repo, so the plugins resolve the repo's node_modules like a real plugin folder.
    const base = path.resolve(import.meta.dirname, '../../.cch-test');
    fs.mkdirSync(base, { recursive: true });
    root = fs.mkdtempSync(path.join(base, 'loader-'));
    writePlugin(root, 'a', `export default definePlugin({ name: 'a', version: '1.0.0', core: '0.1.x', dependsOn: ['b'], setup() {} });`);
    writePlugin(root, 'b', `export default definePlugin({ name: 'b', version: '1.0.0', core: '0.1.x', setup() {} });`);
    writePlugin(
      root,
      'opts',
      `export default definePlugin({ name: 'opts', version: '1.0.0', core: '0.1.x',
        options: Type.Object({ failureThreshold: Type.Integer({ minimum: 1, default: 5 }) }, { additionalProperties: false }),
        setup() {} });`,
    );
    writePlugin(root, 'future', `export default definePlugin({ name: 'future', version: '1.0.0', core: '^9.0.0', setup() {} });`);
    writePlugin(root, 'notaplugin', `export default { hello: 1 };`);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const load = (yaml: string) => resolvePlugins(parseConfig(yaml, { env: {} }).config.plugins, root);

  it('loads built-in plugins by name and local folders by path, in dependency order', async () => {
    const list = await load('plugins:\n  - path: ./a\n  - name: auth\n  - path: ./b\n');
    expect(list.map((p) => p.def.name)).to.deep.equal(['b', 'a', 'auth']);
    expect(list.find((p) => p.def.name === 'auth')!.source).to.equal('builtin');
    expect(list.find((p) => p.def.name === 'a')!.source).to.equal('path');
  });

  it('fails with CCH_ERR_PLUGIN_DEPENDENCY_MISSING naming the dependency and the YAML path', async () => {
    const err = await expectCode(load('plugins:\n  - name: auth\n  - path: ./a\n'), 'CCH_ERR_PLUGIN_DEPENDENCY_MISSING');
    expect(err.message).to.include('plugins[1]');
    expect(err.message).to.include('depends on "b"');
  });

  it('fails with CCH_ERR_PLUGIN_OPTIONS_INVALID naming the YAML path of the option', async () => {
    const err = await expectCode(load('plugins:\n  - path: ./b\n  - path: ./opts\n    options: { failureThreshold: 0 }\n'), 'CCH_ERR_PLUGIN_OPTIONS_INVALID');
    expect(err.message).to.include('plugins[1].options.failureThreshold: must be ≥ 1');
  });

  it('rejects unknown options', async () => {
    const err = await expectCode(load('plugins:\n  - path: ./opts\n    options: { failureTreshold: 3 }\n'), 'CCH_ERR_PLUGIN_OPTIONS_INVALID');
    expect(err.message).to.include('plugins[0].options.failureTreshold: unknown key');
  });

  it('applies option defaults', async () => {
    const [p] = await load('plugins:\n  - path: ./opts\n');
    expect(p!.options).to.deep.equal({ failureThreshold: 5 });
  });

  it('fails with CCH_ERR_PLUGIN_NOT_FOUND for an unknown name or folder', async () => {
    const e1 = await expectCode(load('plugins:\n  - name: no-such-plugin-xyz\n'), 'CCH_ERR_PLUGIN_NOT_FOUND');
    expect(e1.message).to.include('plugins[0]');
    await expectCode(load('plugins:\n  - path: ./missing\n'), 'CCH_ERR_PLUGIN_NOT_FOUND');
  });

  it('rejects a module that is not a plugin, a core range that does not match, and duplicates', async () => {
    await expectCode(load('plugins:\n  - path: ./notaplugin\n'), 'CCH_ERR_PLUGIN_INVALID');
    await expectCode(load('plugins:\n  - path: ./future\n'), 'CCH_ERR_PLUGIN_CORE_VERSION');
    await expectCode(load('plugins:\n  - path: ./b\n  - path: ./b\n'), 'CCH_ERR_PLUGIN_DUPLICATE');
  });

  it('skips entries with enabled: false', async () => {
    const list = await load('plugins:\n  - path: ./b\n  - path: ./a\n    enabled: false\n');
    expect(list.map((p) => p.def.name)).to.deep.equal(['b']);
  });
});

describe('errors across copies of core', () => {
  it('an error made by another copy of core (a TypeScript plugin beside the bundle) is still instanceof', async () => {
    const { GatewayError, CchError, clientErrors, errors } = await import('../src/errors.ts');
    // What another copy's constructors produce: a plain Error carrying the shared brand.
    const foreign = Object.defineProperty(new Error('no'), Symbol.for('cch.GatewayError'), { value: true });
    expect(foreign instanceof GatewayError).to.equal(true);
    expect(clientErrors.badRequest('x') instanceof GatewayError).to.equal(true);
    expect(errors.configNotFound('f') instanceof CchError).to.equal(true);
    expect(new Error('plain') instanceof GatewayError).to.equal(false);
    expect(clientErrors.badRequest('x') instanceof CchError).to.equal(false);
  });
});
