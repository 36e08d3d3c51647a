import { expect } from 'chai';
import { createMockUpstream, createTestGateway, TEST_ADMIN_TOKEN, type MockUpstream, type TestGateway } from '../src/testing/index.ts';
import { ProviderEntity } from '../src/db/entities.ts';

const CONFIG_KEY = 'hub_sk_ManageConfigKey000000000000000000001';
const UPSTREAM_SECRET = 'sk-ant-api-created-secret-0987654321';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The admin API's write side: providers, groups, users and keys created, changed and removed over
 * HTTP, seen by a second instance sharing the database and store, with YAML rows read-only.
 */
describe('admin API: managing providers, groups, users and keys', function () {
  this.timeout(60_000);
  let mock: MockUpstream;
  let other: MockUpstream;
  let hub: TestGateway;
  let second: TestGateway;

  const admin = async (t: TestGateway, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${t.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json, text };
  };
  /**
   * The changing instance applies a change before answering; others when the store's change
   * notice reaches them (milliseconds): poll briefly there.
   */
  const eventually = async (what: () => Promise<unknown>, ok: (v: any) => boolean): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const until = Date.now() + 3000;
    for (;;) {
      const v = await what();
      if (ok(v) || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const statusOn = (t: TestGateway, key: string, want: number, model?: string) =>
    eventually(() => chat(t, key, model), (r: Response) => r.status === want);
  const chat = (t: TestGateway, key: string, model = 'claude-sonnet-4-6') =>
    fetch(`${t.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
    });

  before(async () => {
    [mock, other] = await Promise.all([createMockUpstream(), createMockUpstream()]);
    const yaml = `
plugins: [{ name: auth }, { name: provider-claude }, { name: provider-openai }]
providers:
  - { name: yaml-provider, type: claude, url: ${mock.url}, key: yaml-upstream-key, models: ["claude-sonnet-*", "claude-haiku-*"] }
groups:
  - name: yaml-group
users:
  - name: yaml-user
    group: yaml-group
    keys: [{ name: laptop, key: ${CONFIG_KEY}, expiresAt: "2099-01-01T00:00:00Z" }]
`;
    hub = await createTestGateway({ yaml });
    second = await createTestGateway({ yaml, shareWith: hub });
  });
  after(async () => {
    await second?.close();
    await hub?.close();
    await Promise.all([mock?.close(), other?.close()]);
  });

  it('a YAML key with an expiry loads (the date-time format is known)', async () => {
    expect((await chat(hub, CONFIG_KEY)).status).to.equal(200);
  });

  it('creates a group, a user in it and a key; the key works on both instances at once and is shown only once', async () => {
    const g = await admin(hub, 'POST', '/groups', { name: 'team-a', limits: { rpm: 100, usdMonthly: 50 } });
    expect(g.status, g.text).to.equal(201);
    expect(g.body).to.include({ name: 'team-a', managedBy: 'api' });
    expect(g.body.providerGroups).to.deep.equal(['default']);

    const u = await admin(hub, 'POST', '/users', { name: 'alice', group: 'team-a', limits: { usdDaily: 5 } });
    expect(u.status, u.text).to.equal(201);
    expect(u.body).to.include({ name: 'alice', group: 'team-a', enabled: true, managedBy: 'api' });

    const k = await admin(hub, 'POST', `/users/${u.body.id}/keys`, { name: 'laptop' });
    expect(k.status, k.text).to.equal(201);
    expect(k.body.key).to.match(/^hub_sk_[A-Za-z0-9]{40}$/);
    expect(k.body.key.startsWith(k.body.keyHint.replace(/…$/, ''))).to.equal(true);

    // Both instances accept it right away (the second never saw it before, so nothing to invalidate).
    expect((await chat(hub, k.body.key)).status).to.equal(200);
    expect((await chat(second, k.body.key)).status).to.equal(200);

    // Listed with its hint, never the key itself again.
    const list = await admin(second, 'GET', '/users');
    expect(list.text).to.not.include(k.body.key);
    const alice = (list.body as unknown as Json[]).find((x) => x.name === 'alice')!;
    expect(alice.keys.map((x: Json) => x.name)).to.deep.equal(['laptop']);
    const groups = await admin(hub, 'GET', '/groups');
    expect((groups.body as unknown as Json[]).find((x) => x.name === 'team-a')!.users).to.deep.equal(['alice']);
  });

  it('disabling or deleting a key or its user is enforced on every instance before the call returns', async () => {
    const u = await admin(hub, 'POST', '/users', { name: 'bob' });
    const k = await admin(hub, 'POST', `/users/${u.body.id}/keys`, { name: 'ci' });
    // Both instances have the key cached as valid.
    expect((await chat(hub, k.body.key)).status).to.equal(200);
    expect((await chat(second, k.body.key)).status).to.equal(200);

    const off = await admin(hub, 'PATCH', `/keys/${k.body.id}`, { enabled: false });
    expect(off.status, off.text).to.equal(200);
    expect(off.body.enabled).to.equal(false);
    for (const t of [hub, second]) {
      const res = t === hub ? await chat(t, k.body.key) : await statusOn(t, k.body.key, 401);
      expect(res.status).to.equal(401);
      expect(((await res.json()) as Json).error.message).to.match(/disabled/);
    }
    expect((await admin(second, 'PATCH', `/keys/${k.body.id}`, { enabled: true })).status).to.equal(200);
    expect((await statusOn(hub, k.body.key, 200)).status).to.equal(200);

    expect((await admin(hub, 'PATCH', `/users/${u.body.id}`, { enabled: false })).status).to.equal(200);
    expect((await chat(hub, k.body.key)).status).to.equal(401);
    expect((await statusOn(second, k.body.key, 401)).status).to.equal(401);
    expect((await admin(hub, 'PATCH', `/users/${u.body.id}`, { enabled: true })).status).to.equal(200);
    expect((await statusOn(second, k.body.key, 200)).status).to.equal(200);

    const del = await admin(second, 'DELETE', `/keys/${k.body.id}`);
    expect(del.status).to.equal(204);
    expect(del.text).to.equal('');
    expect((await chat(second, k.body.key)).status).to.equal(401);
    expect((await statusOn(hub, k.body.key, 401)).status).to.equal(401);

    const k2 = await admin(hub, 'POST', `/users/${u.body.id}/keys`, { name: 'ci' });
    expect((await chat(second, k2.body.key)).status).to.equal(200);
    expect((await admin(hub, 'DELETE', `/users/${u.body.id}`)).status).to.equal(204);
    expect((await chat(hub, k2.body.key)).status).to.equal(401);
    expect((await statusOn(second, k2.body.key, 401)).status).to.equal(401);
    expect((await admin(hub, 'GET', '/users')).body.map((x: Json) => x.name)).to.not.include('bob');
  });

  it('key limits, expiry and allowed models set through the API apply', async () => {
    const u = await admin(hub, 'POST', '/users', { name: 'carol' });
    const k = await admin(hub, 'POST', `/users/${u.body.id}/keys`, { name: 'k', allowedModels: ['claude-haiku-*'] });
    expect(k.status, k.text).to.equal(201);
    expect((await chat(hub, k.body.key, 'claude-sonnet-4-6')).status).to.equal(403);
    expect((await chat(hub, k.body.key, 'claude-haiku-4-5')).status).to.equal(200);
    const past = await admin(hub, 'PATCH', `/keys/${k.body.id}`, { expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.body.expiresAt).to.equal('2020-01-01T00:00:00.000Z');
    const res = await statusOn(second, k.body.key, 401, 'claude-haiku-4-5');
    expect(res.status).to.equal(401);
    expect(((await res.json()) as Json).error.message).to.match(/expired/);
    expect((await admin(hub, 'PATCH', `/keys/${k.body.id}`, { expiresAt: null })).body.expiresAt).to.equal(null);
    expect((await statusOn(second, k.body.key, 200, 'claude-haiku-4-5')).status).to.equal(200);
  });

  it('creates, changes and removes a provider; the credential is stored encrypted and never returned', async () => {
    const created = await admin(hub, 'POST', '/providers', {
      name: 'api-provider',
      type: 'claude',
      url: other.url,
      key: UPSTREAM_SECRET,
      priority: 0,
      weight: 5,
      models: ['claude-opus-*'],
      limits: { concurrentSessions: 3 },
    });
    expect(created.status, created.text).to.equal(201);
    expect(created.text).to.not.include(UPSTREAM_SECRET);
    expect(created.body).to.include({ name: 'api-provider', type: 'claude', weight: 5, managedBy: 'api', enabled: true });
    expect(created.body.keyHint).to.be.a('string').and.not.equal(UPSTREAM_SECRET);
    expect(created.body.limits).to.deep.equal({ concurrentSessions: 3 });

    const row = await hub.gw.db.em().findOneOrFail(ProviderEntity, { name: 'api-provider' });
    expect(row.keyEncrypted).to.not.include(UPSTREAM_SECRET);

    // Routed to by both instances, with the stored credential.
    for (const t of [hub, second]) {
      other.reset();
      expect((await statusOn(t, CONFIG_KEY, 200, 'claude-opus-4-1')).status).to.equal(200);
      expect(other.requests).to.have.length(1);
      expect(other.lastRequest()!.headers['x-api-key']).to.equal(UPSTREAM_SECRET);
    }
    const listed = await admin(second, 'GET', '/providers');
    expect(listed.text).to.not.include(UPSTREAM_SECRET);

    // A PATCH without a key keeps it; one with a key replaces it.
    expect((await admin(hub, 'PATCH', `/providers/${created.body.id}`, { weight: 7 })).body.weight).to.equal(7);
    other.reset();
    await chat(hub, CONFIG_KEY, 'claude-opus-4-1');
    expect(other.lastRequest()!.headers['x-api-key']).to.equal(UPSTREAM_SECRET);
    const rekeyed = await admin(hub, 'PATCH', `/providers/${created.body.id}`, { key: 'sk-ant-rotated-key-000111' });
    expect(rekeyed.status, rekeyed.text).to.equal(200);
    await eventually(
      async () => second.gw.providers.list().find((p) => p.name === 'api-provider')?.key,
      (k) => k === 'sk-ant-rotated-key-000111',
    );
    other.reset();
    await chat(second, CONFIG_KEY, 'claude-opus-4-1');
    expect(other.lastRequest()!.headers['x-api-key']).to.equal('sk-ant-rotated-key-000111');

    // Disabled, then deleted: no longer used anywhere.
    expect((await admin(hub, 'PATCH', `/providers/${created.body.id}`, { enabled: false })).body.enabled).to.equal(false);
    other.reset();
    const refused = await chat(hub, CONFIG_KEY, 'claude-opus-4-1');
    expect(refused.status).to.equal(404);
    expect(((await refused.json()) as Json).type).to.equal('error');
    expect(other.requests).to.have.length(0);
    expect((await admin(second, 'DELETE', `/providers/${created.body.id}`)).status).to.equal(204);
    expect(second.gw.providers.list().map((p) => p.name)).to.deep.equal(['yaml-provider']);
    const names = await eventually(async () => hub.gw.providers.list().map((p) => p.name), (n: string[]) => n.length === 1);
    expect(names).to.deep.equal(['yaml-provider']);
  });

  it('rows declared in the YAML are read-only (409), but their users can get API keys', async () => {
    const users = (await admin(hub, 'GET', '/users')).body as unknown as Json[];
    const yamlUser = users.find((u) => u.name === 'yaml-user')!;
    expect(yamlUser.managedBy).to.equal('config');
    const yamlKey = yamlUser.keys[0];
    const providers = (await admin(hub, 'GET', '/providers')).body as unknown as Json[];
    const groups = (await admin(hub, 'GET', '/groups')).body as unknown as Json[];
    const yamlGroup = groups.find((g) => g.name === 'yaml-group')!;
    for (const [method, path, body] of [
      ['PATCH', `/users/${yamlUser.id}`, { enabled: false }],
      ['DELETE', `/users/${yamlUser.id}`, undefined],
      ['PATCH', `/keys/${yamlKey.id}`, { enabled: false }],
      ['DELETE', `/keys/${yamlKey.id}`, undefined],
      ['PATCH', `/providers/${providers[0]!.id}`, { weight: 9 }],
      ['DELETE', `/providers/${providers[0]!.id}`, undefined],
      ['PATCH', `/groups/${yamlGroup.id}`, { limits: { rpm: 1 } }],
      ['DELETE', `/groups/${yamlGroup.id}`, undefined],
    ] as const) {
      const r = await admin(hub, method, path, body);
      expect(r.status, `${method} ${path}`).to.equal(409);
      expect(r.body.error.message).to.match(/managed by config/);
    }
    expect((await chat(hub, CONFIG_KEY)).status).to.equal(200);

    const extra = await admin(hub, 'POST', `/users/${yamlUser.id}/keys`, { name: 'extra' });
    expect(extra.status, extra.text).to.equal(201);
    expect((await statusOn(second, extra.body.key, 200)).status).to.equal(200);
    // A reload keeps API keys of YAML users.
    await hub.gw.applyChange();
    expect((await chat(hub, extra.body.key)).status).to.equal(200);
  });

  it('bad input: 400 naming each field, 404 for unknown ids, 409 for taken names and groups in use', async () => {
    const bad = await admin(hub, 'POST', '/providers', { name: 'x', type: 'nope', url: 'ftp://example', key: 'k' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.fields).to.have.property('body.url');
    const badType = await admin(hub, 'POST', '/providers', { name: 'x', type: 'nope', url: 'http://127.0.0.1:1', key: 'k' });
    expect(badType.status).to.equal(400);
    expect(badType.body.error.message).to.match(/no loaded plugin handles provider type "nope" \(loaded: .*claude/);

    const limits = await admin(hub, 'POST', '/users', { name: 'dave', limits: { rpm: 0, usdDaily: -1 } });
    expect(limits.status).to.equal(400);
    expect(limits.body.error.fields).to.have.keys('body.limits.rpm', 'body.limits.usdDaily');
    expect(limits.body.error.fields['body.limits.rpm'].message).to.equal('must be ≥ 1');

    const typo = await admin(hub, 'POST', '/users', { name: 'dave', limts: { rpm: 5 } });
    expect(typo.status).to.equal(400);
    expect(typo.text).to.include('limts');

    expect((await admin(hub, 'POST', '/users', { name: 'dave', group: 'no-such-group' })).body.error.fields).to.have.property('body.group');
    expect((await admin(hub, 'POST', '/users', { name: 'dave', expiresAt: 'next tuesday' })).body.error.fields).to.have.property('body.expiresAt');
    expect((await admin(hub, 'POST', '/users', { name: '' })).status).to.equal(400);
    expect((await admin(hub, 'POST', '/users', { name: 'alice' })).status).to.equal(409);
    expect((await admin(hub, 'POST', '/groups', { name: 'team-a' })).status).to.equal(409);

    const gone = await admin(hub, 'PATCH', '/users/999999', { enabled: false });
    expect(gone.status).to.equal(404);
    expect(gone.body.error.message).to.equal('no user with id 999999');
    expect((await admin(hub, 'DELETE', '/keys/999999')).status).to.equal(404);
    expect((await admin(hub, 'POST', '/users/999999/keys', { name: 'k' })).status).to.equal(404);
    expect((await admin(hub, 'PATCH', '/users/abc', {})).status).to.equal(400);

    const teamA = ((await admin(hub, 'GET', '/groups')).body as unknown as Json[]).find((g) => g.name === 'team-a')!;
    const inUse = await admin(hub, 'DELETE', `/groups/${teamA.id}`);
    expect(inUse.status).to.equal(409);
    expect(inUse.body.error.message).to.match(/still has 1 user.*"alice"/);

    // Renaming a group moves its users along.
    const renamed = await admin(hub, 'PATCH', `/groups/${teamA.id}`, { name: 'team-alpha' });
    expect(renamed.status, renamed.text).to.equal(200);
    expect(renamed.body.users).to.deep.equal(['alice']);

    const unauth = await fetch(`${hub.url}/api/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"eve"}' });
    expect(unauth.status).to.equal(401);
  });
});
