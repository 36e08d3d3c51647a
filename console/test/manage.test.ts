import fs from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { createMockUpstream, createTestGateway, TEST_ADMIN_TOKEN, type MockUpstream, type TestGateway } from '@cch/core/testing';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CONFIG_KEY = 'hub_sk_ConsoleManageCfgKey0000000000000000001';
const CONFIG_PROVIDER_SECRET = 'sk-ant-manage-config-secret-7777';
const UI_PROVIDER_SECRET = 'sk-ant-typed-in-the-console-4821';
const UI_PROVIDER_SECRET_2 = 'sk-ant-replaced-in-the-console-9135';

/**
 * The console's management pages in a real browser against a real hub: groups, users and keys
 * created from the UI (and the one-time key proven against the gateway), API rows editable,
 * YAML rows read-only, providers added without their credential ever reaching the page.
 */
describe('console management (headless Chromium)', function () {
  this.timeout(120_000);
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
settings: { providerTests: { allowPrivateNetworks: true } }
plugins: [{ name: auth }, { name: provider-claude }]
providers:
  - { name: claude-main, type: claude, url: ${mock.url}, key: ${CONFIG_PROVIDER_SECRET} }
groups:
  - name: staff
    limits: { rpm: 500 }
users:
  - name: erin
    group: staff
    keys: [{ name: yaml-key, key: ${CONFIG_KEY} }]
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

  /** A request with a hub key, as a client would send it. */
  const chat = (key: string) =>
    fetch(`${hub.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    }).then(async (r) => {
      await r.text();
      return r.status;
    });

  interface Session {
    context: BrowserContext;
    page: Page;
    errors: string[];
    external: string[];
  }
  async function signIn(): Promise<Session> {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    const external: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith(hub.url)) external.push(r.url());
    });
    await page.goto(hub.url);
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    return { context, page, errors, external };
  }

  /** Accept (or dismiss) the next confirm() and return its message. */
  function nextDialog(page: Page, accept: boolean): Promise<string> {
    return new Promise((resolve) => {
      page.once('dialog', (d) => {
        const msg = d.message();
        void (accept ? d.accept() : d.dismiss()).then(() => resolve(msg));
      });
    });
  }

  /** The row of a table whose row header is exactly `name`. */
  const rowOf = (table: Locator, name: string) => table.getByRole('row').filter({ has: table.page().getByRole('rowheader', { name, exact: true }) });

  /** The error message tied to a form control through its aria-describedby (null when none). */
  async function fieldError(page: Page, field: Locator): Promise<string | null> {
    const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(/\s+/).filter(Boolean);
    for (const id of ids) {
      const el = page.locator(`[id="${id}"]`);
      if ((await el.getAttribute('class'))?.split(' ').includes('field-error')) return el.textContent();
    }
    return null;
  }

  it('creates a group, a user and a key; the one-time key works until it is disabled and revoked', async () => {
    const { context, page, errors, external } = await signIn();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: hub.url });

    // ---- group: a field message from the API lands next to its field; then created
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Groups' }).click();
    await page.getByRole('heading', { name: 'Groups' }).waitFor();
    const groups = page.getByRole('table', { name: 'Groups' });
    await rowOf(groups, 'staff').getByText('managed by config').waitFor();
    expect(await rowOf(groups, 'staff').getByRole('button').count(), 'config-managed group has no actions').to.equal(0);

    await page.getByRole('button', { name: 'New group' }).click();
    const groupForm = page.getByRole('form', { name: 'New group' });
    await groupForm.getByLabel('Name', { exact: true }).fill('team-a');
    await groupForm.getByLabel('Provider groups').fill('default');
    const rpm = groupForm.getByLabel('Requests / minute');
    await rpm.fill('0');
    await groupForm.getByLabel('USD / month').fill('50');
    await groupForm.getByRole('button', { name: 'Create group' }).click();
    await groupForm.getByRole('alert').getByText('invalid request').waitFor();
    expect(await rpm.getAttribute('aria-invalid')).to.equal('true');
    expect(await fieldError(page, rpm)).to.equal('must be ≥ 1');
    expect(await fieldError(page, groupForm.getByLabel('USD / month'))).to.equal(null);
    await rpm.fill('100');
    await groupForm.getByRole('button', { name: 'Create group' }).click();
    await page.getByRole('status').getByText('Group team-a created.').waitFor();
    expect(await groupForm.count()).to.equal(0);
    const teamA = rowOf(groups, 'team-a');
    await teamA.getByText('100 rpm · $50.00/month').waitFor();
    await teamA.getByRole('button', { name: 'Edit' }).waitFor();

    // ---- user in that group
    await page.goto(`${hub.url}/#/users`);
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await page.getByRole('button', { name: 'New user' }).click();
    const userForm = page.getByRole('form', { name: 'New user' });
    await userForm.getByLabel('Name', { exact: true }).fill('frank');
    await userForm.getByLabel('Group').selectOption('team-a');
    await userForm.getByLabel('USD / day').fill('5');
    await userForm.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('status').getByText('User frank created.').waitFor();
    const frank = page.getByRole('rowgroup', { name: 'User frank' });
    const frankRow = rowOf(frank, 'frank');
    await frankRow.getByRole('cell', { name: 'team-a', exact: true }).waitFor();
    await frankRow.getByText('$5.00/day').waitFor();
    await frank.getByText('No keys.').waitFor();

    // ---- key: the plaintext is shown once, copyable, and works against the gateway
    await frankRow.getByRole('button', { name: 'New key' }).click();
    const keyForm = page.getByRole('form', { name: 'New key for frank' });
    await keyForm.getByLabel('Key name').fill('ci');
    await keyForm.getByLabel('Allowed models').fill('claude-sonnet-*, claude-haiku-*');
    await keyForm.getByRole('button', { name: 'Create key' }).click();
    const box = page.getByRole('region', { name: 'New key for frank · ci' });
    await box.waitFor();
    await box.getByText('cannot be shown again').waitFor();
    const plaintext = (await box.locator('#one-time-key-value').textContent())?.trim() ?? '';
    expect(plaintext).to.match(/^hub_sk_[A-Za-z0-9]{40}$/);

    await box.getByRole('button', { name: 'Copy' }).click();
    await box.getByRole('status').getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).to.equal(plaintext);

    const keys = page.getByRole('table', { name: 'Keys of frank' });
    const ci = rowOf(keys, 'ci');
    await ci.getByText(plaintext.slice(0, 11)).waitFor(); // the hint: first characters only
    await ci.getByText('claude-sonnet-*, claude-haiku-*').waitFor();
    await ci.getByText('enabled', { exact: true }).waitFor();

    expect(await chat(plaintext)).to.equal(200);

    // Never persisted in the browser, and gone from the page once dismissed.
    const stored = await page.evaluate<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })');
    expect(stored).not.to.include(plaintext);
    await box.getByRole('button', { name: /^Done/ }).click();
    await box.waitFor({ state: 'detached' });
    expect(await page.content()).not.to.include(plaintext);
    const storedAfter = await page.evaluate<string>('JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })');
    expect(storedAfter).not.to.include(plaintext);
    // Leaving and coming back does not bring it back either.
    await page.goto(`${hub.url}/#/overview`);
    await page.goto(`${hub.url}/#/users`);
    await rowOf(page.getByRole('table', { name: 'Keys of frank' }), 'ci').waitFor();
    expect(await page.content()).not.to.include(plaintext);

    // ---- edit: narrow the allowed models (sonnet refused), give it an expiry, then clear both
    await ci.getByRole('button', { name: 'Edit key ci' }).click();
    const editKey = page.getByRole('form', { name: 'Edit key ci of frank' });
    expect(await editKey.getByLabel('Allowed models').inputValue()).to.equal('claude-sonnet-*, claude-haiku-*');
    await editKey.getByLabel('Allowed models').fill('claude-haiku-*');
    await editKey.getByLabel('Key expires').fill('2099-06-30T12:00');
    await editKey.getByLabel('Requests / minute').fill('0');
    await editKey.getByRole('button', { name: 'Save key' }).click();
    await editKey.getByRole('alert').waitFor();
    expect(await fieldError(page, editKey.getByLabel('Requests / minute'))).to.equal('must be ≥ 1');
    await editKey.getByLabel('Requests / minute').fill('');
    await editKey.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('status').getByText('Key frank · ci saved.').waitFor();
    await ci.getByText('claude-haiku-*', { exact: true }).waitFor();
    expect(await chat(plaintext)).to.equal(403);
    await ci.getByRole('button', { name: 'Edit key ci' }).click();
    expect(await editKey.getByLabel('Key expires').inputValue()).to.equal('2099-06-30T12:00');
    await editKey.getByLabel('Allowed models').fill('');
    await editKey.getByLabel('Key expires').fill('');
    await editKey.getByRole('button', { name: 'Save key' }).click();
    await page.getByRole('status').getByText('Key frank · ci saved.').waitFor();
    await ci.getByText('any', { exact: true }).waitFor();
    await ci.getByText('never', { exact: true }).first().waitFor();
    expect(await chat(plaintext)).to.equal(200);

    // ---- disable → refused; enable → accepted again
    await ci.getByRole('button', { name: 'Disable' }).click();
    await ci.getByText('disabled', { exact: true }).waitFor();
    expect(await chat(plaintext)).to.equal(401);
    await ci.getByRole('button', { name: 'Enable' }).click();
    await ci.getByText('enabled', { exact: true }).waitFor();
    expect(await chat(plaintext)).to.equal(200);

    // ---- revoke: dismissing the confirmation changes nothing; accepting revokes it
    let asked = nextDialog(page, false);
    await ci.getByRole('button', { name: 'Revoke' }).click();
    expect(await asked).to.include('Revoke key "ci" of frank');
    await ci.waitFor();
    expect(await chat(plaintext)).to.equal(200);
    asked = nextDialog(page, true);
    await ci.getByRole('button', { name: 'Revoke' }).click();
    await asked;
    await page.getByRole('status').getByText('Key frank · ci revoked.').waitFor();
    await ci.waitFor({ state: 'detached' });
    expect(await chat(plaintext)).to.equal(401);

    // ---- edit the user: disable it via the form, then enable from the row
    await frankRow.getByRole('button', { name: 'Edit' }).click();
    const editForm = page.getByRole('form', { name: 'Edit user frank' });
    expect(await editForm.getByLabel('Group').inputValue()).to.equal('team-a');
    expect(await editForm.getByLabel('USD / day').inputValue()).to.equal('5');
    await editForm.getByLabel('USD / day').fill('');
    await editForm.getByLabel('Enabled').uncheck();
    await editForm.getByRole('button', { name: 'Save user' }).click();
    await page.getByRole('status').getByText('User frank saved.').waitFor();
    await frankRow.getByText('disabled', { exact: true }).waitFor();
    expect(await frankRow.getByRole('cell').nth(3).textContent()).to.equal('—'); // limits cleared
    await frankRow.getByRole('button', { name: 'Enable' }).click();
    await frankRow.getByText('enabled', { exact: true }).waitFor();

    // ---- the API's 409 shows: the group still has a user
    await page.goto(`${hub.url}/#/groups`);
    const nextDelete = nextDialog(page, true);
    await rowOf(groups, 'team-a').getByRole('button', { name: 'Delete' }).click();
    expect(await nextDelete).to.include('Delete group "team-a"');
    await page.getByRole('alert').getByText(/group "team-a" still has 1 user\(s\) \("frank"\)/).waitFor();
    await rowOf(groups, 'team-a').waitFor();

    // ---- delete the user, then the group goes
    await page.goto(`${hub.url}/#/users`);
    asked = nextDialog(page, true);
    await rowOf(frank, 'frank').getByRole('button', { name: 'Delete' }).click();
    expect(await asked).to.include('Delete user "frank"');
    await page.getByRole('status').getByText('User frank deleted.').waitFor();
    expect(await page.getByRole('rowgroup', { name: 'User frank' }).count()).to.equal(0);
    await page.goto(`${hub.url}/#/groups`);
    asked = nextDialog(page, true);
    await rowOf(groups, 'team-a').getByRole('button', { name: 'Delete' }).click();
    await asked;
    await page.getByRole('status').getByText('Group team-a deleted.').waitFor();
    expect(await rowOf(groups, 'team-a').count()).to.equal(0);

    expect(errors).to.deep.equal([]);
    expect(external).to.deep.equal([]);
    await context.close();
  });

  it('shows config-managed users and keys read-only, but lets them get API keys', async () => {
    const { context, page, errors } = await signIn();
    await page.goto(`${hub.url}/#/users`);
    const erin = page.getByRole('rowgroup', { name: 'User erin' });
    const erinRow = rowOf(erin, 'erin');
    await erinRow.getByText('managed by config').waitFor();
    await erinRow.getByRole('cell', { name: 'staff', exact: true }).waitFor();
    expect(await erinRow.getByRole('button', { name: 'Edit' }).count()).to.equal(0);
    expect(await erinRow.getByRole('button', { name: 'Delete' }).count()).to.equal(0);
    expect(await erinRow.getByRole('button', { name: /^(Disable|Enable)$/ }).count()).to.equal(0);
    expect(await erinRow.getByRole('button').allTextContents()).to.deep.equal(['New key']);

    const keys = page.getByRole('table', { name: 'Keys of erin' });
    const yamlKey = rowOf(keys, 'yaml-key');
    await yamlKey.getByText('managed by config').waitFor();
    expect(await yamlKey.getByRole('button').count()).to.equal(0);
    expect(await page.content()).not.to.include(CONFIG_KEY);

    // An API key for a config-managed user: allowed, and that key is API-managed (revocable).
    await erinRow.getByRole('button', { name: 'New key' }).click();
    const form = page.getByRole('form', { name: 'New key for erin' });
    await form.getByLabel('Key name').fill('tablet');
    await form.getByRole('button', { name: 'Create key' }).click();
    const box = page.getByRole('region', { name: 'New key for erin · tablet' });
    const plaintext = (await box.locator('#one-time-key-value').textContent())?.trim() ?? '';
    expect(plaintext).to.match(/^hub_sk_[A-Za-z0-9]{40}$/);
    expect(await chat(plaintext)).to.equal(200);
    await box.getByRole('button', { name: /^Done/ }).click();
    const tablet = rowOf(keys, 'tablet');
    await tablet.getByRole('button', { name: 'Revoke' }).waitFor();
    const asked = nextDialog(page, true);
    await tablet.getByRole('button', { name: 'Revoke' }).click();
    await asked;
    await tablet.waitFor({ state: 'detached' });
    expect(await chat(plaintext)).to.equal(401);
    expect(await chat(CONFIG_KEY)).to.equal(200);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it('adds, edits, disables and deletes a provider; its credential never reaches the page', async () => {
    const { context, page, errors } = await signIn();
    await page.goto(`${hub.url}/#/providers`);
    const providers = page.getByLabel('Providers').getByRole('table').first();
    const main = rowOf(providers, 'claude-main');
    await main.getByText('managed by config').waitFor();
    expect(await main.getByRole('button').allTextContents(), 'config-managed provider: only a test').to.deep.equal(['Test']);

    // Testing a provider (config-managed ones too): the verdict, never the credential.
    mock.reset();
    await main.getByRole('button', { name: 'Test' }).click();
    const verdict = main.locator('[data-provider-test="claude-main"]');
    await verdict.getByText(/^works \(HTTP 200 · \d+ ms · /).waitFor();
    expect(mock.requests).to.have.length(1);
    mock.fail({ status: 401 });
    await main.getByRole('button', { name: 'Test' }).click();
    await verdict.getByText(/^auth \(HTTP 401 · \d+ ms/).waitFor();
    expect(await verdict.getAttribute('class')).to.include('bad');
    expect(await page.content()).not.to.include(CONFIG_PROVIDER_SECRET);

    await page.getByRole('button', { name: 'Add provider' }).click();
    const form = page.getByRole('form', { name: 'Add provider' });
    const keyInput = form.getByLabel('Key', { exact: true });
    expect(await keyInput.getAttribute('type')).to.equal('password');
    await form.getByLabel('Name', { exact: true }).fill('claude-ui');
    await form.getByLabel('Type').fill('no-such-type');
    await form.getByLabel('URL').fill(mock.url);
    await keyInput.fill(UI_PROVIDER_SECRET);
    await form.getByRole('button', { name: 'Create provider' }).click();
    const typeInput = form.getByLabel('Type');
    await form.getByRole('alert').getByText(/no loaded plugin handles provider type "no-such-type"/).waitFor();
    expect(await typeInput.getAttribute('aria-invalid')).to.equal('true');
    expect(await fieldError(page, typeInput)).to.match(/^no loaded plugin handles provider type "no-such-type"/);
    expect(await fieldError(page, form.getByLabel('URL'))).to.equal(null);
    expect(hub.gw.providers.list().map((p) => p.name)).to.deep.equal(['claude-main']);

    await typeInput.fill('claude');
    await form.getByLabel('Weight').fill('2');
    await form.getByLabel('Priority').fill('5');
    await form.getByLabel('Groups').fill('default, backup');
    await form.getByLabel('Models').fill('claude-*');
    await form.getByLabel('Cost multiplier').fill('1.5');
    await form.getByLabel('Accepts translated requests').check();
    await form.getByLabel('Requests / minute').fill('30');
    await form.getByRole('button', { name: 'Create provider' }).click();
    await page.getByRole('status').getByText('Provider claude-ui added.').waitFor();
    const ui = rowOf(providers, 'claude-ui');
    await ui.getByText(`…${UI_PROVIDER_SECRET.slice(-4)}`, { exact: true }).waitFor();
    await ui.getByText('default, backup').waitFor();
    await ui.getByText('30 rpm').waitFor();
    expect(await ui.getByRole('cell').allTextContents()).to.include.members(['claude', '2', '5', '1.5', 'yes', 'api']);
    expect(await page.content()).not.to.include(UI_PROVIDER_SECRET);
    const created = hub.gw.providers.list().find((p) => p.name === 'claude-ui')!;
    expect(created.key, 'the credential typed in the form is the one stored').to.equal(UI_PROVIDER_SECRET);
    expect(created.acceptsTranslation).to.equal(true);

    // Edit with the key left empty: the credential stays.
    await ui.getByRole('button', { name: 'Edit' }).click();
    const edit = page.getByRole('form', { name: 'Edit provider claude-ui' });
    expect(await edit.getByLabel('Key', { exact: true }).inputValue(), 'the key is never pre-filled').to.equal('');
    expect(await edit.getByLabel('Weight').inputValue()).to.equal('2');
    await edit.getByLabel('Weight').fill('3');
    await edit.getByRole('button', { name: 'Save provider' }).click();
    await page.getByRole('status').getByText('Provider claude-ui saved.').waitFor();
    await ui.getByRole('cell', { name: '3', exact: true }).waitFor();
    expect(hub.gw.providers.list().find((p) => p.name === 'claude-ui')!.key).to.equal(UI_PROVIDER_SECRET);

    // Edit with a new key: replaced.
    await ui.getByRole('button', { name: 'Edit' }).click();
    await edit.getByLabel('Key', { exact: true }).fill(UI_PROVIDER_SECRET_2);
    await edit.getByRole('button', { name: 'Save provider' }).click();
    await ui.getByText(`…${UI_PROVIDER_SECRET_2.slice(-4)}`, { exact: true }).waitFor();
    expect(hub.gw.providers.list().find((p) => p.name === 'claude-ui')!.key).to.equal(UI_PROVIDER_SECRET_2);
    const html = await page.content();
    for (const secret of [UI_PROVIDER_SECRET, UI_PROVIDER_SECRET_2, CONFIG_PROVIDER_SECRET]) expect(html).not.to.include(secret);

    await ui.getByRole('button', { name: 'Disable' }).click();
    await ui.getByText('disabled', { exact: true }).waitFor();
    expect(hub.gw.providers.list().find((p) => p.name === 'claude-ui')!.enabled).to.equal(false);
    await ui.getByRole('button', { name: 'Enable' }).click();
    await ui.getByText('enabled', { exact: true }).waitFor();

    const asked = nextDialog(page, true);
    await ui.getByRole('button', { name: 'Delete' }).click();
    expect(await asked).to.include('Delete provider "claude-ui"');
    await page.getByRole('status').getByText('Provider claude-ui deleted.').waitFor();
    expect(await ui.count()).to.equal(0);
    expect(hub.gw.providers.list().map((p) => p.name)).to.deep.equal(['claude-main']);
    expect(errors).to.deep.equal([]);
    await context.close();
  });
});
