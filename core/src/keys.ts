import type { EntityManager } from '@mikro-orm/core';
import type { Database } from './db/database.ts';
import { ApiKeyEntity, UserEntity, type ApiKeyRow } from './db/entities.ts';
import type { Limits } from './config/schema.ts';
import { CchError } from './errors.ts';
import { generateHubKey, hashKey, keyHint } from './secrets.ts';
import { releaseAsyncContext } from './db/async-context.ts';

/** The optional settings of a new key (absent = no restriction). */
export interface NewKeyFields {
  enabled?: boolean;
  expiresAt?: Date | null;
  allowedModels?: string[] | null;
  allowedClients?: string[] | null;
  providerGroups?: string[] | null;
  limits?: Limits;
}

/**
 * Insert a new API-managed hub key for a user (the CLI and the admin API both come here). The
 * plaintext is returned once and never stored: only its SHA-256 and a hint are.
 */
export async function insertKey(em: EntityManager, userId: number, name: string, fields: NewKeyFields = {}): Promise<{ row: ApiKeyRow; key: string }> {
  const key = generateHubKey();
  const row = em.create(ApiKeyEntity, {
    userId,
    name,
    keyHash: hashKey(key),
    keyHint: keyHint(key),
    enabled: fields.enabled ?? true,
    expiresAt: fields.expiresAt ?? null,
    allowedModels: fields.allowedModels ?? null,
    allowedClients: fields.allowedClients ?? null,
    providerGroups: fields.providerGroups ?? null,
    limits: fields.limits ?? {},
    managedBy: 'api',
  } as never);
  await em.flush();
  return { row, key };
}

/** Create a hub key for a user; the plaintext is returned once and never stored. */
export async function createKey(db: Database, userName: string, name: string): Promise<{ id: number; name: string; key: string }> {
  const em = db.em();
  const user = await em.findOne(UserEntity, { name: userName });
  if (!user) throw new CchError('CCH_ERR_USER_NOT_FOUND', `no user named "${userName}" (declare it under users: in the YAML or create it in the console)`);
  if (await em.findOne(ApiKeyEntity, { userId: user.id, name })) {
    throw new CchError('CCH_ERR_KEY_EXISTS', `user "${userName}" already has a key named "${name}"; pick another --name`);
  }
  const { row, key } = await insertKey(em, user.id, name);
  releaseAsyncContext();
  return { id: row.id, name, key };
}
