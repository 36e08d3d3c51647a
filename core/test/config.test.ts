import { expect } from 'chai';
import { parseConfig } from '../src/config/load.ts';
import { interpolate } from '../src/config/interpolate.ts';
import { readEnv } from '../src/config/env.ts';
import { CchError } from '../src/errors.ts';

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CchError);
    return ((err as CchError).details?.issues as string[]) ?? [(err as Error).message];
  }
  throw new Error('expected an error');
}

describe('config', () => {
  describe('interpolation', () => {
    it('replaces ${VAR} and ${VAR:-default}, and $${VAR} escapes', () => {
      const out = interpolate({ a: '${A}', b: ['x-${B:-dflt}-y'], c: '$${A}', n: 3 }, { A: 'alpha' });
      expect(out).to.deep.equal({ a: 'alpha', b: ['x-dflt-y'], c: '${A}', n: 3 });
    });
    it('names the YAML path of a missing variable', () => {
      expect(() => interpolate({ providers: [{ key: '${NOPE_KEY}' }] }, {})).to.throw(/providers\[0\]\.key: environment variable NOPE_KEY is not set/);
    });
  });

  describe('validation', () => {
    it('accepts the SPEC example and fills defaults', () => {
      const { config } = parseConfig(
        `
plugins:
  - name: auth
providers:
  - name: claude-primary
    type: claude
    url: https://api.anthropic.com
    key: \${K1}
    weight: 60
    priority: 1
    models: ["claude-*"]
    modelRedirects: { "claude-3-5-haiku-*": "claude-haiku-4-5" }
    limits: { concurrentSessions: 20, usd5h: 50 }
groups:
  - name: senior
    limits: { rpm: 100, usdMonthly: 500 }
users:
  - name: alice
    group: senior
    limits: { usdDaily: 40 }
    keys:
      - name: laptop
        key: \${ALICE_KEY:-hub_sk_local_dev_key}
`,
        { env: { K1: 'sk-ant-1' } },
      );
      expect(config.providers![0]!.key).to.equal('sk-ant-1');
      expect(config.providers![0]!.groups).to.deep.equal(['default']);
      expect(config.users![0]!.keys![0]!.key).to.equal('hub_sk_local_dev_key');
      expect(config.groups![0]!.providerGroups).to.deep.equal(['default']);
    });

    it('names the YAML path and line of a bad value', () => {
      const issues = issuesOf(() => parseConfig('plugins: []\nproviders:\n  - name: p\n    type: claude\n    url: http://x\n    key: k\n    weight: -1\n', { env: {} }));
      expect(issues).to.deep.equal(['providers[0].weight: must be ≥ 0 (line 7)']);
    });

    it('rejects unknown keys by name', () => {
      const issues = issuesOf(() => parseConfig('plugins: []\ngroups:\n  - name: g\n    limits: { rpmm: 3 }\n', { env: {} }));
      expect(issues[0]).to.match(/^groups\[0\]\.limits\.rpmm: unknown key/);
    });

    it('rejects a user pointing at a missing group and duplicate names', () => {
      const issues = issuesOf(() => parseConfig('plugins: []\ngroups: [{name: a}, {name: a}]\nusers: [{name: u, group: b}]\n', { env: {} }));
      expect(issues).to.include('groups[1].name: duplicate name "a"');
      expect(issues).to.include('users[0].group: no group named "b"');
    });

    it('requires exactly one of key/keyHash and of name/path', () => {
      const issues = issuesOf(() => parseConfig('plugins: [{}]\nusers: [{name: u, keys: [{name: k}]}]\n', { env: {} }));
      expect(issues).to.include('users[0].keys[0]: give exactly one of key or keyHash');
      expect(issues).to.include('plugins[0]: give exactly one of name or path');
    });

    it('reports YAML syntax errors', () => {
      expect(() => parseConfig('plugins: [\n', { env: {} })).to.throw(/CCH_ERR_CONFIG_INVALID/);
    });
  });

  describe('environment', () => {
    it('has the SPEC defaults', () => {
      const env = readEnv({}, '/srv');
      expect(env).to.include({ adminToken: 'change-me', port: 23000, autoMigrate: true, sessionTtlSeconds: 300, enableRateLimit: true, secureCookies: true, apiTestTimeoutMs: 15000, logLevel: 'info' });
      expect(env.configFile).to.equal('/srv/config/gateway.yaml');
      expect(env.dataDir).to.equal('/srv/data');
    });
    it('clamps API_TEST_TIMEOUT_MS to 5000–120000 and parses booleans', () => {
      expect(readEnv({ API_TEST_TIMEOUT_MS: '10' }).apiTestTimeoutMs).to.equal(5000);
      expect(readEnv({ API_TEST_TIMEOUT_MS: '999999' }).apiTestTimeoutMs).to.equal(120000);
      expect(readEnv({ ENABLE_RATE_LIMIT: 'false', AUTO_MIGRATE: '0' })).to.include({ enableRateLimit: false, autoMigrate: false });
    });
  });
});
