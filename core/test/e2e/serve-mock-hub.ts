/**
 * Start a mock upstream and a hub in front of it, for trying real clients by hand:
 *   npx tsx core/test/e2e/serve-mock-hub.ts
 * Prints the hub URL and a hub key, then runs until interrupted.
 */
import { createMockUpstream, createTestGateway } from '../../src/testing/index.ts';

const KEY = 'hub_sk_E2eClientKey00000000000000000000000001';
const mock = await createMockUpstream({ text: 'Hello from the mock upstream via the hub' });
const hub = await createTestGateway({
  yaml: `
plugins:
  - name: auth
  - name: provider-claude
  - name: accounting
providers:
  - { name: claude-mock, type: claude, url: ${mock.url}, key: sk-ant-mock }
users:
  - name: e2e
    keys: [{ name: cli, key: ${KEY} }]
`,
  env: { LOG_LEVEL: 'info' },
});
console.log(JSON.stringify({ hub: hub.url, key: KEY, mock: mock.url }));
const stop = async () => {
  await hub.close();
  await mock.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
