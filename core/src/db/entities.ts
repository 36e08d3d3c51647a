import { defineEntity, type InferEntity } from '@mikro-orm/core';
import type { Limits } from '../config/schema.ts';
import type { ProviderTimeouts } from '../provider.ts';
import type { WireFormat } from '../formats/index.ts';

const p = defineEntity.properties;

/** `config` rows come from YAML and are read-only in the console and API. */
export type ManagedBy = 'config' | 'api';

export const ProviderEntity = defineEntity({
  name: 'Provider',
  tableName: 'cch_provider',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    type: p.string(),
    url: p.string(),
    /** AES-256-GCM ciphertext of the credential (see secrets.ts). */
    keyEncrypted: p.text(),
    weight: p.integer().default(1),
    priority: p.integer().default(0),
    groups: p.json<string[]>(),
    models: p.json<string[]>(),
    modelRedirects: p.json<Record<string, string>>(),
    costMultiplier: p.decimal('string').default('1'),
    limits: p.json<Limits>(),
    acceptsTranslation: p.json<boolean | WireFormat[]>(),
    timeouts: p.json<Partial<ProviderTimeouts>>(),
    enabled: p.boolean().default(true),
    managedBy: p.string().$type<ManagedBy>().default('api'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type ProviderRow = InferEntity<typeof ProviderEntity>;

export const GroupEntity = defineEntity({
  name: 'Group',
  tableName: 'cch_group',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    providerGroups: p.json<string[]>(),
    limits: p.json<Limits>(),
    managedBy: p.string().$type<ManagedBy>().default('api'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type GroupRow = InferEntity<typeof GroupEntity>;

export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'cch_user',
  properties: {
    id: p.integer().primary().autoincrement(),
    name: p.string().unique(),
    groupName: p.string().nullable(),
    providerGroups: p.json<string[]>().nullable(),
    limits: p.json<Limits>(),
    enabled: p.boolean().default(true),
    expiresAt: p.datetime().nullable(),
    managedBy: p.string().$type<ManagedBy>().default('api'),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type UserRow = InferEntity<typeof UserEntity>;

export const ApiKeyEntity = defineEntity({
  name: 'ApiKey',
  tableName: 'cch_api_key',
  properties: {
    id: p.integer().primary().autoincrement(),
    userId: p.integer().index(),
    name: p.string(),
    /** Hex SHA-256 of the plaintext key; the plaintext is never stored. */
    keyHash: p.string().unique(),
    /** First characters of the key, for recognising it in lists (`hub_sk_AbC…`). */
    keyHint: p.string(),
    enabled: p.boolean().default(true),
    expiresAt: p.datetime().nullable(),
    allowedModels: p.json<string[]>().nullable(),
    allowedClients: p.json<string[]>().nullable(),
    providerGroups: p.json<string[]>().nullable(),
    limits: p.json<Limits>(),
    managedBy: p.string().$type<ManagedBy>().default('api'),
    lastUsedAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});
export type ApiKeyRow = InferEntity<typeof ApiKeyEntity>;

export const RequestLogEntity = defineEntity({
  name: 'RequestLog',
  tableName: 'cch_request_log',
  properties: {
    id: p.bigint('string').primary().autoincrement(),
    requestId: p.string().unique(),
    createdAt: p.datetime(),
    userId: p.integer().nullable(),
    keyId: p.integer().nullable(),
    providerId: p.integer().nullable(),
    providerName: p.string().nullable(),
    attemptCount: p.integer().default(0),
    clientFormat: p.string(),
    providerFormat: p.string().nullable(),
    operation: p.string(),
    model: p.string().nullable(),
    servedModel: p.string().nullable(),
    status: p.integer(),
    outcome: p.string(),
    errorClass: p.string().nullable(),
    errorMessage: p.text().nullable(),
    inputTokens: p.integer().default(0),
    outputTokens: p.integer().default(0),
    cacheCreationTokens: p.integer().default(0),
    cacheCreation5mTokens: p.integer().default(0),
    cacheCreation1hTokens: p.integer().default(0),
    cacheReadTokens: p.integer().default(0),
    reasoningTokens: p.integer().default(0),
    costUsd: p.decimal('string').default('0'),
    ttfbMs: p.integer().nullable(),
    durationMs: p.integer(),
    stream: p.boolean().default(false),
    sessionId: p.string().nullable(),
    userAgent: p.text().nullable(),
    decision: p.json<unknown>().nullable(),
  },
});
export type RequestLogRow = InferEntity<typeof RequestLogEntity>;

export const entities = [ProviderEntity, GroupEntity, UserEntity, ApiKeyEntity, RequestLogEntity];
