/**
 * Start a mock upstream and a hub in front of it, for trying real clients by hand:
 *   npx tsx core/test/e2e/serve-mock-hub.ts [claude|codex|gemini|gemini-cli|openai ...]
 * The providers listed (default: all) point at the mock; translation is allowed. Prints the hub
 * URL and a hub key, then runs until interrupted. CCH_TEST_LOG=info shows the hub's log.
 */
import { createMockUpstream, createTestGateway } from '../../src/testing/index.ts';

export const E2E_KEY = 'hub_sk_E2eClientKey00000000000000000000000001';

/** Hub YAML with one provider per type, all on the mock. */
export function e2eYaml(mockUrl: string, types: string[]): string {
  const providers = types.map((t, i) => `  - { name: ${t}-mock, type: ${t}, url: ${mockUrl}, key: upstream-${t}, priority: ${i}, acceptsTranslation: true }`).join('\n');
  return `
plugins:
  - name: auth
  - name: balancer
  - name: circuit-breaker
  - name: accounting
  - name: provider-claude
  - name: provider-codex
  - name: provider-gemini
  - name: provider-openai
providers:
${providers}
users:
  - name: e2e
    keys: [{ name: cli, key: ${E2E_KEY} }]
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const types = process.argv.slice(2);
  const mock = await createMockUpstream({ text: 'Hello from the mock upstream via the hub' });
  const hub = await createTestGateway({ yaml: e2eYaml(mock.url, types.length ? types : ['claude', 'codex', 'gemini', 'gemini-cli', 'openai']) });
  console.log(JSON.stringify({ hub: hub.url, key: E2E_KEY, mock: mock.url }));
  const stop = async () => {
    await hub.close();
    await mock.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
