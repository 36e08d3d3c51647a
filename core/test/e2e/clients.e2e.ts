/**
 * Real clients through a real hub against the mock upstream: `npm run e2e:clients`.
 * Installs the CLIs on first use into .cch-test/clients (npm registry only); not part of `npm test`
 * because of the download size (~300 MB). Each client completes a prompt and a tool-use turn, on a
 * provider of its own format and, where the issue asks, through translation.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { expect } from 'chai';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { GoogleGenAI, Type as GType } from '@google/genai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '../../src/testing/index.ts';
import { E2E_KEY as KEY, e2eYaml } from './serve-mock-hub.ts';

const REPO = path.resolve(import.meta.dirname, '../../..');
const CLIENTS = path.join(REPO, '.cch-test/clients');
const PACKAGES = ['@anthropic-ai/claude-code', '@openai/codex', '@google/gemini-cli'];
const TEXT = 'E2E-OK from the mock';

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

/** Run a CLI in a fresh HOME and working folder; `files` are written into HOME first; `{HOME}` in env values is that folder. */
function runCli(cmd: string, args: string[], env: Record<string, string>, files: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  const home = fs.mkdtempSync(path.join(REPO, '.cch-test', 'home-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    fs.writeFileSync(path.join(home, rel), text);
  }
  const work = path.join(home, 'work');
  fs.mkdirSync(work);
  fs.writeFileSync(path.join(work, 'README.md'), '# e2e\n');
  return new Promise((resolve) => {
    const vars = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replaceAll('{HOME}', home)]));
    const child = spawn(cmd, args, { cwd: work, env: { ...process.env, HOME: home, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      fs.rmSync(home, { recursive: true, force: true });
      resolve({ code, out });
    });
  });
}

/** Whether any request to the mock carried a tool result back (in any wire format). */
function sawToolResult(mock: MockUpstream): boolean {
  return mock.requests.some((q) => /"tool_result"|"function_call_output"|"functionResponse"|"role":"tool"/.test(JSON.stringify(q.json)));
}

describe('real clients through the hub (e2e)', function () {
  this.timeout(900_000);
  let bin: string;
  let mock: MockUpstream;
  const hubs = new Map<string, TestGateway>();

  /** A hub whose only providers are `types` (all on the mock, all accepting translation). */
  async function hub(...types: string[]): Promise<TestGateway> {
    const name = types.join('+');
    let h = hubs.get(name);
    if (!h) {
      h = await createTestGateway({ yaml: e2eYaml(mock.url, types) });
      hubs.set(name, h);
    }
    mock.reset();
    return h;
  }

  before(async () => {
    bin = ensureClients();
    mock = await createMockUpstream({ text: TEXT });
  });
  after(async () => {
    for (const h of hubs.values()) await h.close();
    await mock?.close();
  });

  describe('Claude Code (claude -p)', () => {
    const claude = (h: TestGateway, prompt: string, ...extra: string[]) =>
      runCli(path.join(bin, 'claude'), ['-p', prompt, ...extra], { ANTHROPIC_BASE_URL: h.url, ANTHROPIC_AUTH_TOKEN: KEY, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' });
    it('completes a prompt, streaming, on a claude provider', async () => {
      const r = await claude(await hub('claude'), 'hi');
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(TEXT);
      expect(mock.requests.some((q) => q.api === 'anthropic' && (q.json as { stream?: boolean })?.stream)).to.equal(true);
    });
    it('completes a tool-use turn on a claude provider', async () => {
      const r = await claude(await hub('claude'), 'use a tool to read the file', '--allowedTools', 'Read');
      expect(r.code, r.out).to.equal(0);
      expect(sawToolResult(mock)).to.equal(true);
    });
    it('completes a tool-use task when the only provider is openai (translation)', async () => {
      const r = await claude(await hub('openai'), 'use a tool to read the file', '--allowedTools', 'Read');
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(TEXT);
      expect(mock.requests.every((q) => q.api === 'openai-chat')).to.equal(true);
      expect(sawToolResult(mock)).to.equal(true);
    });
  });

  describe('Codex (codex exec)', () => {
    const codex = (h: TestGateway, prompt: string) =>
      runCli(path.join(bin, 'codex'), ['exec', '--skip-git-repo-check', prompt], { CODEX_HOME: '{HOME}/.codex', HUB_KEY: KEY }, {
        '.codex/config.toml': `model = "gpt-5-codex"\nmodel_provider = "hub"\n[model_providers.hub]\nname = "hub"\nbase_url = "${h.url}/v1"\nenv_key = "HUB_KEY"\nwire_api = "responses"\n`,
      });
    it('completes a prompt on a codex provider', async () => {
      const r = await codex(await hub('codex'), 'hi');
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(TEXT);
    });
    it('completes a tool-use turn on a codex provider', async () => {
      const r = await codex(await hub('codex'), 'use a tool to read the readme');
      expect(r.code, r.out).to.equal(0);
      expect(sawToolResult(mock)).to.equal(true);
    });
    it('completes a tool-use turn when the only provider is claude (translation)', async () => {
      const r = await codex(await hub('claude'), 'use a tool to read the readme');
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(TEXT);
      expect(mock.requests.every((q) => q.api === 'anthropic')).to.equal(true);
      expect(sawToolResult(mock)).to.equal(true);
    });
  });

  describe('Gemini CLI (gemini -p)', () => {
    const settings = (type: string) => JSON.stringify({ security: { auth: { selectedType: type } }, selectedAuthType: type });
    const apiKeyMode = (h: TestGateway, prompt: string) =>
      runCli(path.join(bin, 'gemini'), ['-p', prompt], { GEMINI_CLI_TRUST_WORKSPACE: 'true', GEMINI_API_KEY: KEY, GOOGLE_GEMINI_BASE_URL: h.url }, { '.gemini/settings.json': settings('gemini-api-key') });
    const codeAssistMode = (h: TestGateway, prompt: string) =>
      runCli(
        path.join(bin, 'gemini'),
        ['-p', prompt],
        { GEMINI_CLI_TRUST_WORKSPACE: 'true', GOOGLE_GENAI_USE_GCA: 'true', GOOGLE_CLOUD_ACCESS_TOKEN: KEY, CODE_ASSIST_ENDPOINT: `${h.url}/gemini` },
        { '.gemini/settings.json': settings('oauth-personal') },
      );
    it('API-key mode: completes a prompt and a tool-use turn on a gemini provider', async () => {
      const h = await hub('gemini');
      const r = await apiKeyMode(h, 'hi');
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(TEXT);
      mock.reset();
      const t = await apiKeyMode(h, 'use a tool to read the file README.md');
      expect(t.code, t.out).to.equal(0);
      expect(sawToolResult(mock)).to.equal(true);
    });
    it('Code Assist mode: completes a prompt and a tool-use turn on a gemini-cli provider', async () => {
      const h = await hub('gemini-cli');
      const r = await codeAssistMode(h, 'hi');
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(TEXT);
      expect(mock.requests.some((q) => q.path.includes('v1internal:loadCodeAssist'))).to.equal(true);
      mock.reset();
      const t = await codeAssistMode(h, 'use a tool to read the file README.md');
      expect(t.code, t.out).to.equal(0);
      expect(sawToolResult(mock)).to.equal(true);
    });
    it('API-key mode: completes a tool-use turn when the only provider is openai (translation)', async () => {
      const r = await apiKeyMode(await hub('openai'), 'use a tool to read the file README.md');
      expect(r.code, r.out).to.equal(0);
      expect(r.out).to.include(TEXT);
      expect(mock.requests.every((q) => q.api === 'openai-chat')).to.equal(true);
      expect(sawToolResult(mock)).to.equal(true);
    });
  });

  describe('SDKs', () => {
    it('Anthropic SDK: a prompt and a tool-use turn on a claude provider', async () => {
      const client = new Anthropic({ baseURL: (await hub('claude')).url, apiKey: KEY });
      const tools = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } } }];
      const first = await client.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 64, tools, messages: [{ role: 'user', content: 'use a tool' }] }).finalMessage();
      const call = first.content.find((c) => c.type === 'tool_use');
      if (call?.type !== 'tool_use') throw new Error('no tool call');
      const second = await client.messages.create({
        model: 'claude-sonnet-4-6',
        max_tokens: 64,
        tools,
        messages: [
          { role: 'user', content: 'use a tool' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '# e2e' }] },
        ],
      });
      expect(JSON.stringify(second.content)).to.include(TEXT);
    });

    const openaiTools = [{ type: 'function' as const, function: { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }];
    async function openaiToolTurn(client: OpenAI, model: string) {
      const first = await client.chat.completions.create({ model, tools: openaiTools, messages: [{ role: 'user', content: 'use a tool' }] });
      const call = first.choices[0]!.message.tool_calls?.[0];
      if (!call || call.type !== 'function') throw new Error(`no tool call: ${JSON.stringify(first)}`);
      const second = await client.chat.completions.create({
        model,
        tools: openaiTools,
        messages: [{ role: 'user', content: 'use a tool' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '# e2e' }],
      });
      expect(second.choices[0]!.message.content).to.equal(TEXT);
    }
    it('OpenAI SDK: a prompt and a tool-use turn on an openai provider', async () => {
      const client = new OpenAI({ baseURL: `${(await hub('openai')).url}/v1`, apiKey: KEY });
      const r = await client.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'hi' }] });
      expect(r.choices[0]!.message.content).to.equal(TEXT);
      await openaiToolTurn(client, 'gpt-5');
    });
    it('OpenAI SDK: streaming when the only provider is gemini (translation)', async () => {
      const client = new OpenAI({ baseURL: `${(await hub('gemini')).url}/v1`, apiKey: KEY });
      const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
      let text = '';
      let usage = 0;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        usage = chunk.usage?.completion_tokens ?? usage;
      }
      expect(text).to.equal(TEXT);
      expect(usage).to.be.greaterThan(0);
      expect(mock.requests.every((q) => q.api === 'gemini')).to.equal(true);
      await openaiToolTurn(client, 'gemini-2.5-flash');
    });
    it('Google GenAI SDK: a prompt (streaming) and a tool-use turn on a gemini provider', async () => {
      const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: (await hub('gemini')).url } });
      let text = '';
      for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' })) text += chunk.text ?? '';
      expect(text).to.equal(TEXT);
      const tools = [{ functionDeclarations: [{ name: 'read_file', parameters: { type: GType.OBJECT, properties: { path: { type: GType.STRING } } } }] }];
      const first = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'use a tool', config: { tools } });
      const call = first.functionCalls?.[0];
      if (!call) throw new Error(`no function call: ${JSON.stringify(first)}`);
      const second = await ai.models.generateContent({
        model: 'gemini-2.5-flash',
        config: { tools },
        contents: [
          { role: 'user', parts: [{ text: 'use a tool' }] },
          { role: 'model', parts: [{ functionCall: call }] },
          { role: 'user', parts: [{ functionResponse: { name: call.name, response: { content: '# e2e' } } }] },
        ],
      });
      expect(second.text).to.equal(TEXT);
    });
  });
});
