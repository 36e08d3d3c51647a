import fs from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
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
    // The providers table, not the health table below it (which may or may not have loaded yet).
    await page.getByLabel('Providers').getByRole('rowheader', { name: 'claude-main' }).waitFor();
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

  describe('monitoring views', () => {
    let alphaMock: MockUpstream;
    let betaMock: MockUpstream;
    let mon: TestGateway;

    before(async () => {
      alphaMock = await createMockUpstream();
      betaMock = await createMockUpstream({ usage: { input: 100, output: 20, cacheRead: 300 } });
      mon = await createTestGateway({
        yaml: `
plugins:
  - { name: auth }
  - { name: provider-claude }
  - { name: circuit-breaker }
  - { name: balancer }
  - { name: accounting, options: { flushIntervalMs: 20 } }
providers:
  - { name: alpha, type: claude, url: ${alphaMock.url}, key: sk-ant-alpha-secret-1111, priority: 1 }
  - { name: beta, type: claude, url: ${betaMock.url}, key: sk-ant-beta-secret-2222, priority: 2 }
users:
  - name: dave
    keys: [{ name: desktop, key: ${KEY} }]
`,
      });
    });
    after(async () => {
      await mon?.close();
      await alphaMock?.close();
      await betaMock?.close();
    });

    async function signIn(): Promise<{ page: Page; errors: string[] }> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(mon.url);
      await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      return { page, errors };
    }

    it('shows the decision chain, sessions, usage and provider health, and forces a circuit open', async () => {
      // alpha is overloaded once: the balancer fails over to beta.
      alphaMock.fail({ status: 529 });
      const res = await fetch(`${mon.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'x-claude-code-session-id': 'b4f1c7de-0000-4000-8000-000000000001' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).to.equal(200);
      await res.text();
      let requestId: string | undefined;
      for (let i = 0; i < 200 && !requestId; i++, await new Promise((r) => setTimeout(r, 25))) {
        const rows = (await mon.gw.db.em().getConnection().execute('select request_id from cch_request_log limit 1')) as { request_id: string }[];
        requestId = rows[0]?.request_id;
      }
      expect(requestId, 'request-log row').to.be.a('string');
      const { page, errors } = await signIn();

      await page.goto(`${mon.url}/#/requests`);
      const row = page.getByRole('row', { name: /claude-sonnet-4-5/ }).first();
      await row.waitFor();
      await row.click();
      const detail = page.getByRole('region', { name: /^Request / });
      await detail.waitFor();
      await detail.getByRole('heading', { name: `Request ${requestId}` }).waitFor();
      await detail.getByRole('heading', { name: 'Decision chain' }).waitFor();
      const attempts = detail.getByRole('table', { name: 'Attempts' }).getByRole('row');
      expect(await attempts.count()).to.equal(3); // header + two attempts
      const first = attempts.nth(1);
      expect(await first.getByRole('cell').nth(1).textContent()).to.equal('alpha');
      expect(await first.getByRole('cell').nth(3).textContent()).to.equal('529');
      expect(await first.getByRole('cell').nth(4).textContent()).to.equal('overloaded');
      expect(await first.getByRole('cell').nth(5).textContent()).to.match(/\d+ ms|s$/);
      const second = attempts.nth(2);
      expect(await second.getByRole('cell').nth(1).textContent()).to.equal('beta');
      expect(await second.getByRole('cell').nth(3).textContent()).to.equal('200');
      await detail.getByRole('list', { name: 'Routing steps' }).getByText('balancer · pick').first().waitFor();
      expect(await detail.getByText('unpriced').count()).to.equal(0);

      await page.goto(`${mon.url}/#/sessions`);
      const sessions = page.getByRole('table', { name: 'Active sessions' });
      await sessions.waitFor();
      await sessions.getByRole('row', { name: /dave/ }).getByText('beta').waitFor();

      await page.goto(`${mon.url}/#/usage`);
      const board = page.getByRole('table', { name: 'Leaderboard' });
      await board.getByRole('rowheader', { name: 'dave' }).waitFor();
      await page.getByLabel('Group by').selectOption('provider');
      await board.getByRole('rowheader', { name: 'beta' }).waitFor();
      // 300 cache-read of 400 prompt tokens
      await board.getByRole('row', { name: /beta/ }).getByText('75.0%').waitFor();
      await page.getByLabel('Period').selectOption('month');
      await board.getByRole('rowheader', { name: 'beta' }).waitFor();

      await page.goto(`${mon.url}/#/providers`);
      const healthTable = page.getByRole('table', { name: 'Provider health' });
      const alpha = healthTable.getByRole('row', { name: /alpha/ });
      const beta = healthTable.getByRole('row', { name: /beta/ });
      await alpha.getByText('closed').waitFor();
      await alpha.getByText('0.0%').waitFor(); // one attempt, failed
      await beta.getByText('100.0%').waitFor();
      await alpha.getByRole('button', { name: 'Force open' }).click();
      await alpha.getByText('open', { exact: true }).waitFor();
      expect(await alpha.getByRole('button', { name: 'Force open' }).isDisabled()).to.equal(true);
      await alpha.getByRole('button', { name: 'Reset' }).click();
      await alpha.getByText('closed').waitFor();
      expect(await page.getByText('plugin not loaded').count()).to.equal(0);

      await page.goto(`${mon.url}/#/alerts`);
      await page.getByText('Alerts plugin not loaded.').waitFor();
      expect(await page.content()).not.to.include('sk-ant-alpha-secret-1111');
      expect(errors).to.deep.equal([]);
    });

    it('says "plugin not loaded" where a monitoring plugin is missing', async () => {
      // The first hub has accounting but neither circuit-breaker nor alerts.
      const page = await browser.newPage();
      await page.goto(hub.url);
      await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${hub.url}/#/providers`);
      await page.getByText('Circuit-breaker plugin not loaded: no circuit state.').waitFor();
      await page.getByRole('table', { name: 'Provider health' }).getByRole('rowheader', { name: 'claude-main' }).waitFor();
      expect(await page.getByRole('button', { name: 'Force open' }).count()).to.equal(0);
      await page.goto(`${hub.url}/#/alerts`);
      await page.getByText('Alerts plugin not loaded.').waitFor();
    });
  });
});
