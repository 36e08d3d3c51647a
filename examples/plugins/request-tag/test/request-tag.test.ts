import path from 'node:path';
import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '@cch/core/testing';

const KEY = 'hub_sk_RequestTagExample0000000000000000000001';

/** How a plugin author tests a plugin: a real hub with the plugin loaded by path, a mock upstream. */
describe('example plugin: request-tag', function () {
  this.timeout(30_000);
  let mock: MockUpstream;
  let hub: TestGateway;
  before(async () => {
    mock = await createMockUpstream();
    hub = await createTestGateway({
      baseDir: path.resolve(import.meta.dirname, '..'),
      yaml: `
plugins:
  - path: .
    options: { tag: blue-team, header: x-team }
  - name: auth
  - name: provider-claude
providers: [{ name: m, type: claude, url: ${mock.url}, key: k }]
users: [{ name: u, keys: [{ name: k, key: ${KEY} }] }]
`,
    });
  });
  after(async () => {
    await hub?.close();
    await mock?.close();
  });

  it('tags successful and rejected responses alike', async () => {
    const body = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    const ok = await fetch(`${hub.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body });
    expect(ok.status).to.equal(200);
    expect(ok.headers.get('x-team')).to.equal('blue-team');
    const denied = await fetch(`${hub.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(denied.status).to.equal(401);
    expect(denied.headers.get('x-team')).to.equal('blue-team');
  });
});
