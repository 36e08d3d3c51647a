/**
 * Creating, changing and deleting providers, groups, users and keys through the admin API. Rows
 * declared in the YAML (`managedBy: config`) are read-only here (409): the YAML owns them and a
 * reload would undo any change. Every body is checked against the same schema as the YAML, so the
 * rules (and the messages) are the same in both places. Each change is applied on this instance
 * and announced to every instance sharing the store (auth's key cache, the provider list) before
 * the call returns; the others apply it when the notice reaches them (milliseconds).
 */
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/core';
import type { TSchema } from '@sinclair/typebox';
import type { Gateway } from '../app.ts';
import { releaseAsyncContext } from '../db/async-context.ts';
import { ApiKeyEntity, GroupEntity, ProviderEntity, UserEntity, type ApiKeyRow, type GroupRow, type ProviderRow, type UserRow } from '../db/entities.ts';
import { GroupConfigSchema, KeyConfigSchema, ProviderConfigSchema, UserConfigSchema, type Limits } from '../config/schema.ts';
import { validate } from '../config/validate.ts';
import { DEFAULT_TIMEOUTS, type ProviderRecord } from '../provider.ts';
import { testProvider } from './provider-test.ts';
import { credentialHint } from '../secrets.ts';
import { insertKey } from '../keys.ts';
import { AdminHttpError } from './errors.ts';
import type {
  CreatedKey,
  GroupInput,
  GroupSummary,
  GroupUpdate,
  KeyInput,
  KeySummary,
  KeyUpdate,
  LimitsBody,
  ProviderInput,
  ProviderSummary,
  ProviderTestInput,
  ProviderTestRequest,
  ProviderTestResult,
  ProviderUpdate,
  UserInput,
  UserSummary,
  UserUpdate,
} from './types.ts';

type Managed = { name: string; managedBy: string };

/** `name: message` lines from {@link validate} → a 400 naming each field as `body.<path>`. */
function invalid(problems: string[]): AdminHttpError {
  const fields: Record<string, { message: string }> = {};
  for (const p of problems) {
    const i = p.indexOf(': ');
    const path = i === -1 ? '(root)' : p.slice(0, i);
    fields[path === '(root)' ? 'body' : `body.${path}`] = { message: i === -1 ? p : p.slice(i + 2) };
  }
  return new AdminHttpError(400, 'invalid request', fields);
}

function check(schema: TSchema, value: unknown): void {
  const problems = validate(schema, value);
  if (problems.length) throw invalid(problems);
}

const notFound = (what: string, id: number) => new AdminHttpError(404, `no ${what} with id ${id}`);

function editable(what: string, row: Managed): void {
  if (row.managedBy === 'config') {
    throw new AdminHttpError(409, `${what} "${row.name}" is managed by config (declared in the YAML): change it there and reload`);
  }
}

/** Drops keys whose value is undefined or null (null clears an optional field). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** An ISO date-time, null (clear) or undefined (unchanged) → Date | null | undefined. */
function dateOf(v: string | null | undefined): Date | null | undefined {
  return v === undefined ? undefined : v === null ? null : new Date(v);
}

const iso = (d: Date | null | undefined): string | null => (d ? new Date(d).toISOString() : null);

/** Runs an ORM write, mapping unique-name clashes to 409 and leaving no async context behind. */
async function write<T>(gw: Gateway, clash: string, fn: (em: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await fn(gw.db.em());
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw new AdminHttpError(409, clash);
    throw err;
  } finally {
    // The ORM's writes switch on promise hooks for the whole process (see async-context.ts).
    releaseAsyncContext();
  }
}

/** Tell this and every other instance, and log the change (never a credential). */
async function changed(gw: Gateway, action: string, name: string): Promise<void> {
  await gw.applyChange();
  gw.logger.info({ admin: action, name }, 'admin change applied');
}

const limitsOf = (l: Limits | null | undefined): LimitsBody => ({ ...(l ?? {}) });

// ---------------------------------------------------------------- providers

export function providerSummary(p: ProviderRecord): ProviderSummary {
  return {
    id: p.id,
    name: p.name,
    type: p.type,
    url: p.url,
    weight: p.weight,
    priority: p.priority,
    groups: [...p.groups],
    models: [...p.models],
    enabled: p.enabled,
    managedBy: p.managedBy,
    keyHint: credentialHint(p.key),
    modelRedirects: { ...p.modelRedirects },
    costMultiplier: p.costMultiplier,
    limits: limitsOf(p.limits),
    acceptsTranslation: Array.isArray(p.acceptsTranslation) ? [...p.acceptsTranslation] : p.acceptsTranslation,
  };
}

/** The provider as a YAML entry would declare it (for validation), with `key` standing in when unchanged. */
function providerShape(row: ProviderRow, key: string): Record<string, unknown> {
  return {
    name: row.name,
    type: row.type,
    url: row.url,
    key,
    weight: row.weight,
    priority: row.priority,
    groups: row.groups ?? ['default'],
    models: row.models ?? [],
    modelRedirects: row.modelRedirects ?? {},
    costMultiplier: Number(row.costMultiplier),
    limits: row.limits ?? {},
    enabled: row.enabled,
    acceptsTranslation: row.acceptsTranslation ?? false,
  };
}

function checkProvider(gw: Gateway, shape: Record<string, unknown>): void {
  check(ProviderConfigSchema, shape);
  const types = gw.providers.adapters().map((a) => a.type);
  if (!types.includes(String(shape.type))) {
    throw invalid([`type: no loaded plugin handles provider type "${String(shape.type)}" (loaded: ${types.join(', ') || 'none'})`]);
  }
  try {
    new URL(String(shape.url));
  } catch {
    throw invalid(['url: must be an http(s) URL']);
  }
}

async function providerOut(gw: Gateway, id: number): Promise<ProviderSummary> {
  const rec = gw.providers.get(id);
  if (!rec) throw new AdminHttpError(500, `provider ${id} was saved but could not be loaded`);
  return providerSummary(rec);
}

export async function createProvider(gw: Gateway, body: ProviderInput): Promise<ProviderSummary> {
  const shape = { ...defined(body) };
  checkProvider(gw, shape);
  const id = await write(gw, `a provider named "${body.name}" already exists`, async (em) => {
    if (await em.findOne(ProviderEntity, { name: body.name })) throw new AdminHttpError(409, `a provider named "${body.name}" already exists`);
    const row = em.create(ProviderEntity, {
      name: body.name,
      type: body.type,
      url: body.url,
      keyEncrypted: gw.secrets.encrypt(body.key),
      weight: body.weight ?? 1,
      priority: body.priority ?? 0,
      groups: body.groups ?? ['default'],
      models: body.models ?? [],
      modelRedirects: body.modelRedirects ?? {},
      costMultiplier: String(body.costMultiplier ?? 1),
      limits: body.limits ?? {},
      acceptsTranslation: body.acceptsTranslation ?? false,
      timeouts: {},
      enabled: body.enabled ?? true,
      managedBy: 'api',
    } as never);
    await em.flush();
    return row.id;
  });
  await changed(gw, 'provider.create', body.name);
  return providerOut(gw, id);
}

export async function updateProvider(gw: Gateway, id: number, body: ProviderUpdate): Promise<ProviderSummary> {
  let name = '';
  await write(gw, `a provider named "${body.name}" already exists`, async (em) => {
    const row = await em.findOne(ProviderEntity, { id });
    if (!row) throw notFound('provider', id);
    editable('provider', row);
    const { key, ...rest } = body;
    const next = { ...providerShape(row, key ?? 'unchanged'), ...defined(rest) };
    checkProvider(gw, next);
    if (body.name !== undefined && body.name !== row.name && (await em.findOne(ProviderEntity, { name: body.name }))) {
      throw new AdminHttpError(409, `a provider named "${body.name}" already exists`);
    }
    em.assign(row, {
      ...defined(rest),
      ...(rest.costMultiplier !== undefined ? { costMultiplier: String(rest.costMultiplier) } : {}),
      ...(key !== undefined ? { keyEncrypted: gw.secrets.encrypt(key) } : {}),
    } as never);
    await em.flush();
    name = row.name;
  });
  await changed(gw, 'provider.update', name);
  return providerOut(gw, id);
}

export async function deleteProvider(gw: Gateway, id: number): Promise<void> {
  let name = '';
  await write(gw, '', async (em) => {
    const row = await em.findOne(ProviderEntity, { id });
    if (!row) throw notFound('provider', id);
    editable('provider', row);
    name = row.name;
    await em.nativeDelete(ProviderEntity, { id });
  });
  await changed(gw, 'provider.delete', name);
}

function testOptions(gw: Gateway) {
  return { timeoutMs: gw.env.apiTestTimeoutMs, allowPrivateNetworks: gw.config.config.settings?.providerTests?.allowPrivateNetworks === true };
}

/** Probe a saved provider (YAML-declared ones too) with its stored credential. */
export async function testSavedProvider(gw: Gateway, id: number, body: ProviderTestRequest): Promise<ProviderTestResult> {
  const rec = gw.providers.get(id);
  if (!rec) throw notFound('provider', id);
  const adapter = gw.providers.adapter(rec.type);
  if (!adapter) throw new AdminHttpError(409, `no loaded plugin handles provider type "${rec.type}"`);
  const out = await testProvider(adapter, rec, { ...testOptions(gw), model: body.model });
  gw.logger.info({ admin: 'provider.test', name: rec.name, ok: out.ok, status: out.status, errorClass: out.errorClass }, 'provider tested');
  return out;
}

/** Probe settings before they are saved. */
export async function testUnsavedProvider(gw: Gateway, body: ProviderTestInput): Promise<ProviderTestResult> {
  const { model, ...rest } = body;
  checkProvider(gw, { name: 'test', ...defined(rest) });
  const adapter = gw.providers.adapter(body.type)!;
  const rec: ProviderRecord = {
    id: 0,
    name: '(test)',
    type: body.type,
    url: body.url,
    key: body.key,
    weight: 1,
    priority: 0,
    groups: ['default'],
    models: body.models ?? [],
    modelRedirects: body.modelRedirects ?? {},
    costMultiplier: 1,
    limits: {},
    enabled: true,
    acceptsTranslation: false,
    timeouts: { ...DEFAULT_TIMEOUTS },
    managedBy: 'api',
  };
  const out = await testProvider(adapter, rec, { ...testOptions(gw), model });
  gw.logger.info({ admin: 'provider.test', url: body.url, ok: out.ok, status: out.status, errorClass: out.errorClass }, 'provider tested');
  return out;
}

// ---------------------------------------------------------------- groups

export async function listGroups(gw: Gateway): Promise<GroupSummary[]> {
  const em = gw.db.em();
  const [groups, users] = await Promise.all([em.find(GroupEntity, {}, { orderBy: { name: 'asc' } }), em.find(UserEntity, {}, { fields: ['name', 'groupName'], orderBy: { name: 'asc' } })]);
  return groups.map((g) => groupSummary(g, users.filter((u) => u.groupName === g.name).map((u) => u.name)));
}

function groupSummary(g: GroupRow, users: string[]): GroupSummary {
  return { id: g.id, name: g.name, providerGroups: g.providerGroups ?? ['default'], limits: limitsOf(g.limits), managedBy: g.managedBy, users };
}

async function groupOut(gw: Gateway, id: number): Promise<GroupSummary> {
  const g = (await listGroups(gw)).find((x) => x.id === id);
  if (!g) throw notFound('group', id);
  return g;
}

export async function createGroup(gw: Gateway, body: GroupInput): Promise<GroupSummary> {
  check(GroupConfigSchema, defined(body));
  const id = await write(gw, `a group named "${body.name}" already exists`, async (em) => {
    if (await em.findOne(GroupEntity, { name: body.name })) throw new AdminHttpError(409, `a group named "${body.name}" already exists`);
    const row = em.create(GroupEntity, { name: body.name, providerGroups: body.providerGroups ?? ['default'], limits: body.limits ?? {}, managedBy: 'api' } as never);
    await em.flush();
    return row.id;
  });
  await changed(gw, 'group.create', body.name);
  return groupOut(gw, id);
}

export async function updateGroup(gw: Gateway, id: number, body: GroupUpdate): Promise<GroupSummary> {
  let name = '';
  await write(gw, `a group named "${body.name}" already exists`, async (em) => {
    await em.transactional(async (tx) => {
      const row = await tx.findOne(GroupEntity, { id });
      if (!row) throw notFound('group', id);
      editable('group', row);
      const patch = defined(body);
      check(GroupConfigSchema, { name: row.name, providerGroups: row.providerGroups ?? ['default'], limits: row.limits ?? {}, ...patch });
      if (patch.name !== undefined && patch.name !== row.name) {
        if (await tx.findOne(GroupEntity, { name: patch.name })) throw new AdminHttpError(409, `a group named "${patch.name}" already exists`);
        // Its members move along (users name their group).
        await tx.nativeUpdate(UserEntity, { groupName: row.name }, { groupName: patch.name });
      }
      tx.assign(row, patch as never);
      name = row.name;
    });
  });
  await changed(gw, 'group.update', name);
  return groupOut(gw, id);
}

export async function deleteGroup(gw: Gateway, id: number): Promise<void> {
  let name = '';
  await write(gw, '', async (em) => {
    const row = await em.findOne(GroupEntity, { id });
    if (!row) throw notFound('group', id);
    editable('group', row);
    const members = await em.find(UserEntity, { groupName: row.name }, { fields: ['name'], orderBy: { name: 'asc' } });
    if (members.length) {
      const names = members.slice(0, 10).map((u) => `"${u.name}"`).join(', ');
      throw new AdminHttpError(409, `group "${row.name}" still has ${members.length} user(s) (${names}${members.length > 10 ? ', …' : ''}): move them first`);
    }
    name = row.name;
    await em.nativeDelete(GroupEntity, { id });
  });
  await changed(gw, 'group.delete', name);
}

// ---------------------------------------------------------------- users

function keySummary(k: ApiKeyRow): KeySummary {
  return {
    id: k.id,
    userId: k.userId,
    name: k.name,
    keyHint: k.keyHint,
    enabled: k.enabled,
    expiresAt: iso(k.expiresAt),
    allowedModels: k.allowedModels ?? null,
    allowedClients: k.allowedClients ?? null,
    providerGroups: k.providerGroups ?? null,
    limits: limitsOf(k.limits),
    managedBy: k.managedBy,
    lastUsedAt: iso(k.lastUsedAt),
    createdAt: iso(k.createdAt) ?? '',
  };
}

function userSummary(u: UserRow, keys: ApiKeyRow[]): UserSummary {
  return {
    id: u.id,
    name: u.name,
    group: u.groupName ?? null,
    providerGroups: u.providerGroups ?? null,
    limits: limitsOf(u.limits),
    enabled: u.enabled,
    expiresAt: iso(u.expiresAt),
    managedBy: u.managedBy,
    createdAt: iso(u.createdAt) ?? '',
    keys: keys.filter((k) => k.userId === u.id).map(keySummary),
  };
}

export async function listUsers(gw: Gateway, only?: number): Promise<UserSummary[]> {
  const em = gw.db.em();
  const where = only === undefined ? {} : { id: only };
  const [users, keys] = await Promise.all([
    em.find(UserEntity, where, { orderBy: { name: 'asc' } }),
    em.find(ApiKeyEntity, only === undefined ? {} : { userId: only }, { orderBy: { name: 'asc', id: 'asc' } }),
  ]);
  return users.map((u) => userSummary(u, keys));
}

async function userOut(gw: Gateway, id: number): Promise<UserSummary> {
  const [u] = await listUsers(gw, id);
  if (!u) throw notFound('user', id);
  return u;
}

/** The user fields the YAML schema knows, for validation. */
function checkUser(shape: { name: string; group?: string | null; providerGroups?: string[] | null; limits?: LimitsBody; enabled?: boolean; expiresAt?: string | null }): void {
  const { expiresAt, ...rest } = shape;
  const problems = validate(UserConfigSchema, defined(rest));
  if (expiresAt != null) problems.push(...validate(KeyConfigSchema.properties.expiresAt, expiresAt).map((m) => m.replace(/^\(root\)/, 'expiresAt')));
  if (problems.length) throw invalid(problems);
}

async function groupMustExist(em: EntityManager, group: string | null | undefined): Promise<void> {
  if (group == null) return;
  if (!(await em.findOne(GroupEntity, { name: group }))) throw invalid([`group: no group named "${group}"`]);
}

export async function createUser(gw: Gateway, body: UserInput): Promise<UserSummary> {
  checkUser(body);
  const id = await write(gw, `a user named "${body.name}" already exists`, async (em) => {
    await groupMustExist(em, body.group);
    if (await em.findOne(UserEntity, { name: body.name })) throw new AdminHttpError(409, `a user named "${body.name}" already exists`);
    const row = em.create(UserEntity, {
      name: body.name,
      groupName: body.group ?? null,
      providerGroups: body.providerGroups ?? null,
      limits: body.limits ?? {},
      enabled: body.enabled ?? true,
      expiresAt: dateOf(body.expiresAt) ?? null,
      managedBy: 'api',
    } as never);
    await em.flush();
    return row.id;
  });
  await changed(gw, 'user.create', body.name);
  return userOut(gw, id);
}

export async function updateUser(gw: Gateway, id: number, body: UserUpdate): Promise<UserSummary> {
  let name = '';
  await write(gw, `a user named "${body.name}" already exists`, async (em) => {
    const row = await em.findOne(UserEntity, { id });
    if (!row) throw notFound('user', id);
    editable('user', row);
    checkUser({
      name: body.name ?? row.name,
      group: body.group === undefined ? row.groupName : body.group,
      providerGroups: body.providerGroups === undefined ? row.providerGroups : body.providerGroups,
      limits: body.limits ?? row.limits ?? {},
      enabled: body.enabled ?? row.enabled,
      expiresAt: body.expiresAt,
    });
    if (body.group !== undefined) await groupMustExist(em, body.group);
    if (body.name !== undefined && body.name !== row.name && (await em.findOne(UserEntity, { name: body.name }))) {
      throw new AdminHttpError(409, `a user named "${body.name}" already exists`);
    }
    em.assign(row, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.group !== undefined ? { groupName: body.group } : {}),
      ...(body.providerGroups !== undefined ? { providerGroups: body.providerGroups } : {}),
      ...(body.limits !== undefined ? { limits: body.limits } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      ...(body.expiresAt !== undefined ? { expiresAt: dateOf(body.expiresAt) } : {}),
    } as never);
    await em.flush();
    name = row.name;
  });
  await changed(gw, 'user.update', name);
  return userOut(gw, id);
}

export async function deleteUser(gw: Gateway, id: number): Promise<void> {
  let name = '';
  await write(gw, '', async (em) => {
    await em.transactional(async (tx) => {
      const row = await tx.findOne(UserEntity, { id });
      if (!row) throw notFound('user', id);
      editable('user', row);
      name = row.name;
      await tx.nativeDelete(ApiKeyEntity, { userId: id });
      await tx.nativeDelete(UserEntity, { id });
    });
  });
  await changed(gw, 'user.delete', name);
}

// ---------------------------------------------------------------- keys

function checkKey(shape: KeyInput): void {
  check(KeyConfigSchema, defined(shape));
}

/** A new hub key for a user (YAML-declared users too: API keys of theirs survive reloads). */
export async function createKey(gw: Gateway, userId: number, body: KeyInput): Promise<CreatedKey> {
  checkKey(body);
  let userName = '';
  const { row, key } = await write(gw, `this user already has a key named "${body.name}"`, async (em) => {
    const user = await em.findOne(UserEntity, { id: userId });
    if (!user) throw notFound('user', userId);
    userName = user.name;
    if (await em.findOne(ApiKeyEntity, { userId, name: body.name })) throw new AdminHttpError(409, `user "${user.name}" already has a key named "${body.name}"`);
    return insertKey(em, userId, body.name, { ...body, expiresAt: dateOf(body.expiresAt) });
  });
  await changed(gw, 'key.create', `${userName}/${body.name}`);
  return { ...keySummary(row), key };
}

export async function updateKey(gw: Gateway, id: number, body: KeyUpdate): Promise<KeySummary> {
  let label = '';
  const row = await write(gw, `this user already has a key named "${body.name}"`, async (em) => {
    const k = await em.findOne(ApiKeyEntity, { id });
    if (!k) throw notFound('key', id);
    editable('key', k);
    checkKey({
      name: body.name ?? k.name,
      enabled: body.enabled ?? k.enabled,
      expiresAt: body.expiresAt === undefined ? iso(k.expiresAt) : body.expiresAt,
      allowedModels: body.allowedModels === undefined ? k.allowedModels : body.allowedModels,
      allowedClients: body.allowedClients === undefined ? k.allowedClients : body.allowedClients,
      providerGroups: body.providerGroups === undefined ? k.providerGroups : body.providerGroups,
      limits: body.limits ?? k.limits ?? {},
    });
    if (body.name !== undefined && body.name !== k.name && (await em.findOne(ApiKeyEntity, { userId: k.userId, name: body.name }))) {
      throw new AdminHttpError(409, `this user already has a key named "${body.name}"`);
    }
    em.assign(k, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
      ...(body.expiresAt !== undefined ? { expiresAt: dateOf(body.expiresAt) } : {}),
      ...(body.allowedModels !== undefined ? { allowedModels: body.allowedModels } : {}),
      ...(body.allowedClients !== undefined ? { allowedClients: body.allowedClients } : {}),
      ...(body.providerGroups !== undefined ? { providerGroups: body.providerGroups } : {}),
      ...(body.limits !== undefined ? { limits: body.limits } : {}),
    } as never);
    await em.flush();
    label = `${k.userId}/${k.name}`;
    return k;
  });
  await changed(gw, 'key.update', label);
  return keySummary(row);
}

export async function deleteKey(gw: Gateway, id: number): Promise<void> {
  let label = '';
  await write(gw, '', async (em) => {
    const k = await em.findOne(ApiKeyEntity, { id });
    if (!k) throw notFound('key', id);
    editable('key', k);
    label = `${k.userId}/${k.name}`;
    await em.nativeDelete(ApiKeyEntity, { id });
  });
  await changed(gw, 'key.delete', label);
}
