import path from 'node:path';
import { expect } from 'chai';
import { createMockUpstream, createTestGateway, type MockUpstream, type TestGateway } from '../src/testing/index.ts';
import { events } from './fixtures/plugins/admission-checks/index.ts';

const KEY = 'hub_sk_AdmissionTestKey00000000000000000000001';
const HERE = import.meta.dirname;

const yaml = (upstream: string, options: string) => `
plugins:
  - name: auth
  - name: provider-claude
  - path: ./fixtures/plugins/admission-checks
    options: ${options}
providers:
  - name: mock
    type: claude
    url: ${upstream}
    key: sk-ant-upstream
users:
  - name: bob
    keys: [{ name: k, key: ${KEY} }]
`;

const MSG = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const send = (t: TestGateway) => fetch(`${t.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': KEY }, body: MSG });

/**
 * `ctx.admit`: limit plugins register admission checks that run side by side; the proxy waits
 * for all of them and the first registered refusal answers the client.
 */
describe('admission checks (ctx.admit)', function () {
  this.timeout(30_000);
  let mock: MockUpstream;
  let hub: TestGateway | undefined;
  before(async () => {
    mock = await createMockUpstream();
  });
  after(async () => mock?.close());
  afterEach(async () => {
    await hub?.close();
    hub = undefined;
    events.length = 0;
  });
  const start = async (options: string) => {
    hub = await createTestGateway({ yaml: yaml(mock.url, options), baseDir: HERE, store: 'memory' });
    mock.reset();
    return hub;
  };

  it('runs the checks side by side and proxies once all of them passed', async () => {
    const t = await start('{ checks: [{ delayMs: 60 }, { delayMs: 30 }] }');
    const before = mock.requestCount;
    const res = await send(t);
    expect(res.status).to.equal(200);
    // Both began before either ended: one store round trip, not two in a row.
    expect(events).to.deep.equal(['start 0', 'start 1', 'end 1', 'end 0']);
    expect(mock.requestCount - before).to.equal(1);
  });

  it('answers with the first registered refusal, in the client format, without contacting the provider', async () => {
    const t = await start('{ checks: [{ delayMs: 40, status: 429 }, { delayMs: 0, status: 402 }] }');
    const before = mock.requestCount;
    const res = await send(t);
    expect(res.status).to.equal(429);
    const body = (await res.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).to.equal('error');
    expect(body.error.message).to.equal('check 0 refused');
    expect(mock.requestCount - before).to.equal(0);
  });

  it('a refusal wins over an error of a later phase', async () => {
    const t = await start('{ checks: [{ delayMs: 30, status: 429 }], routeStatus: 503 }');
    const res = await send(t);
    expect(res.status).to.equal(429);
    expect(events).to.include('route'); // the route phase ran meanwhile
  });

  it('a middleware that answers by itself still waits for the verdicts', async () => {
    let t = await start('{ checks: [{ delayMs: 20, status: 429 }], answerInRoute: true }');
    expect((await send(t)).status).to.equal(429);
    await hub!.close();
    events.length = 0;
    t = hub = await createTestGateway({ yaml: yaml(mock.url, '{ checks: [{ delayMs: 20 }], answerInRoute: true }'), baseDir: HERE, store: 'memory' });
    const res = await send(t);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ answered: 'by the route phase' });
  });

  it('a later phase error still answers when every check passed', async () => {
    const t = await start('{ checks: [{ delayMs: 10 }], routeStatus: 503 }');
    const res = await send(t);
    expect(res.status).to.equal(503);
  });
});
