/**
 * Real clients through a real hub against the mock upstream: `npm run e2e:clients`.
 * Installs the CLIs on first use into .cch-test/clients (npm registry only); not part of `npm test`
 * because of the download size.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { expect } from 'chai';
import Anthropic from '@anthropic-ai/sdk';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '../../src/testing/index.ts';

const REPO = path.resolve(import.meta.dirname, '../../..');
const CLIENTS = path.join(REPO, '.cch-test/clients');
const KEY = 'hub_sk_E2eClientKey00000000000000000000000001';
const PACKAGES = ['@anthropic-ai/claude-code'];

function ensureClients(): string {
  const bin = path.join(CLIENTS, 'node_modules/.bin');
  if (!PACKAGES.every((p) => fs.existsSync(path.join(CLIENTS, 'node_modules', p, 'package.json')))) {
    fs.mkdirSync(CLIENTS, { recursive: true });
    if (!fs.existsSync(path.join(CLIENTS, 'package.json'))) fs.writeFileSync(path.join(CLIENTS, 'package.json'), '{"private":true}');
    console.log(`    installing ${PACKAGES.join(', ')} into ${CLIENTS} …`);
    execFileSync('npm', ['install', '--no-audit', '--no-fund', ...PACKAGES], { cwd: CLIENTS, stdio: 'inherit' });
  }
  return bin;
}

function runCli(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const home = fs.mkdtempSync(path.join(REPO, '.cch-test', 'home-'));
    const child = spawn(cmd, args, { cwd: home, env: { ...process.env, HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fs.rmSync(home, { recursive: true, force: true });
      resolve({ code, out });
    });
  });
}

describe('real clients through the hub (e2e)', function () {
  this.timeout(600_000);
  let bin: string;
  let mock: MockUpstream;
  let hub: TestGateway;

  before(async () => {
    bin = ensureClients();
    mock = await createMockUpstream({ text: 'E2E-OK from the mock' });
    hub = await createTestGateway({
      yaml: `
plugins: [{ name: auth }, { name: provider-claude }, { name: accounting }]
providers:
  - { name: claude-mock, type: claude, url: ${mock.url}, key: sk-ant-mock }
users:
  - name: e2e
    keys: [{ name: cli, key: ${KEY} }]
`,
    });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });

  describe('Claude Code', () => {
    const env = () => ({ ANTHROPIC_BASE_URL: hub.url, ANTHROPIC_AUTH_TOKEN: KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' });
    it('completes a prompt (streaming)', async () => {
      const r = await runCli(path.join(bin, 'claude'), ['-p', 'hi'], env());
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include('E2E-OK from the mock');
      const streamed = mock.requests.filter((q) => q.api === 'anthropic' && (q.json as { stream?: boolean })?.stream);
      expect(streamed.length).to.be.greaterThan(0);
    });
    it('completes a tool-use turn', async () => {
      mock.reset();
      const r = await runCli(path.join(bin, 'claude'), ['-p', 'use a tool to read the file', '--allowedTools', 'Read'], env());
      expect(r.code, r.out).to.equal(0);
      const withResult = mock.requests.some((q) => JSON.stringify(q.json).includes('"tool_result"'));
      expect(withResult, 'a request carried the tool result back').to.equal(true);
    });
  });

  describe('Anthropic SDK', () => {
    it('streams a message', async () => {
      const client = new Anthropic({ baseURL: hub.url, apiKey: KEY });
      const msg = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 32, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
      expect(JSON.stringify(msg.content)).to.include('E2E-OK');
    });
  });
});
