import fs from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { createMockUpstream, createTestGateway, TEST_ADMIN_TOKEN, type MockUpstream, type TestGateway } from '@cch/core/testing';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const KEY = 'hub_sk_ConsoleTestKey00000000000000000000000001';

/** The console in a real browser against a real hub: sign in, see providers and the request log. */
describe('console (headless Chromium)', function () {
  this.timeout(90_000);
  let browser: Browser;
  let mock: MockUpstream;
  let hub: TestGateway;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
      console.log(`    console browser tests skipped: no Chromium at ${CHROMIUM}`);
      this.skip();
    }
    mock = await createMockUpstream();
    hub = await createTestGateway({
      yaml: `
plugins: [{ name: auth }, { name: provider-claude }, { name: accounting, options: { flushIntervalMs: 20 } }]
providers:
  - { name: claude-main, type: claude, url: ${mock.url}, key: sk-ant-console-secret-key-9999 }
users:
  - name: carol
    keys: [{ name: laptop, key: ${KEY} }]
`,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
    await mock?.close();
  });

  it('signs in with the admin token and shows providers and requests', async () => {
    await fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const page = await browser.newPage();
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(hub.url)) external.push(r.url());
    });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(hub.url);
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();

    await page.goto(`${hub.url}/#/providers`);
    await page.getByText('claude-main').waitFor();
    expect(await page.getByText('managed by config').count()).to.be.greaterThan(0);
    expect(await page.content()).not.to.include('sk-ant-console-secret-key-9999');

    await page.goto(`${hub.url}/#/requests`);
    await page.getByText('claude-sonnet-4-6').first().waitFor();
    expect(errors).to.deep.equal([]);
    expect(external).to.deep.equal([]);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'cch_session')!;
    expect(session.httpOnly).to.equal(true);
    expect(session.sameSite).to.equal('Strict');
  });
});
