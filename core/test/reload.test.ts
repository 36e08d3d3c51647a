import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '../src/testing/index.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const OLD_KEY = 'hub_sk_ReloadOldKey00000000000000000000000001';
const NEW_KEY = 'hub_sk_ReloadNewKey00000000000000000000000001';

const yaml = (providers: string, key: string) => `
plugins: [{ name: auth }, { name: provider-claude }]
providers:
${providers}
users:
  - name: rita
    keys: [{ name: k, key: ${key} }]
`;

/** SIGHUP re-reads the YAML: providers and keys change without a restart, on every instance. */
describe('configuration reload (SIGHUP)', function () {
  this.timeout(60_000);
  let mockA: MockUpstream;
  let mockB: MockUpstream;
  let hub: TestGateway;
  let second: TestGateway;
  let file: string;
  const send = (t: TestGateway, key: string) =>
    fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });

  before(async () => {
    [mockA, mockB] = await Promise.all([createMockUpstream(), createMockUpstream()]);
    fs.mkdirSync(path.join(REPO, '.cch-test'), { recursive: true });
    file = path.join(fs.mkdtempSync(path.join(REPO, '.cch-test', 'reload-')), 'gateway.yaml');
    fs.writeFileSync(file, yaml(`  - { name: a, type: claude, url: ${mockA.url}, key: ka }`, OLD_KEY));
    hub = await createTestGateway({ configFile: file });
    second = await createTestGateway({ configFile: file, shareWith: hub });
  });
  after(async () => {
    await second?.close();
    await hub?.close();
    await Promise.all([mockA?.close(), mockB?.close()]);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it('syncs the new providers and keys, and other instances follow', async () => {
    expect((await send(hub, OLD_KEY)).status).to.equal(200);
    expect((await send(second, OLD_KEY)).status).to.equal(200);
    expect((await send(hub, NEW_KEY)).status).to.equal(401);

    fs.writeFileSync(file, yaml(`  - { name: b, type: claude, url: ${mockB.url}, key: kb }`, NEW_KEY));
    await hub.gw.reloadConfig();

    expect(hub.gw.providers.list().map((p) => p.name)).to.deep.equal(['b']);
    expect((await send(hub, NEW_KEY)).status).to.equal(200);
    expect((await send(hub, OLD_KEY)).status).to.equal(401);
    expect(mockB.requests).to.have.length(1);
    // The other instance hears about it through the store (shared only with Redis).
    if (hub.gw.mode.store !== 'redis') return;
    for (let i = 0; i < 50 && second.gw.providers.list()[0]?.name !== 'b'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(second.gw.providers.list().map((p) => p.name)).to.deep.equal(['b']);
    expect((await send(second, OLD_KEY)).status).to.equal(401);
    expect((await send(second, NEW_KEY)).status).to.equal(200);
  });

  it('keeps the previous configuration when the new file is invalid', async () => {
    fs.writeFileSync(file, 'plugins: [\n');
    let err: Error | undefined;
    await hub.gw.reloadConfig().catch((e: Error) => (err = e));
    expect(err?.message).to.match(/CCH_ERR_CONFIG_INVALID/);
    expect((await send(hub, NEW_KEY)).status).to.equal(200);
  });
});
