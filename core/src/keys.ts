import type { Database } from './db/database.ts';
import { ApiKeyEntity, UserEntity } from './db/entities.ts';
import { CchError } from './errors.ts';
import { generateHubKey, hashKey, keyHint } from './secrets.ts';
import { releaseAsyncContext } from './db/async-context.ts';

/** Create a hub key for a user; the plaintext is returned once and never stored. */
export async function createKey(db: Database, userName: string, name: string): Promise<{ id: number; name: string; key: string }> {
  const em = db.em();
  const user = await em.findOne(UserEntity, { name: userName });
  if (!user) throw new CchError('CCH_ERR_USER_NOT_FOUND', `no user named "${userName}" (declare it under users: in the YAML or create it in the console)`);
  if (await em.findOne(ApiKeyEntity, { userId: user.id, name })) {
    throw new CchError('CCH_ERR_KEY_EXISTS', `user "${userName}" already has a key named "${name}"; pick another --name`);
  }
  const key = generateHubKey();
  const row = em.create(ApiKeyEntity, {
    userId: user.id,
    name,
    keyHash: hashKey(key),
    keyHint: keyHint(key),
    enabled: true,
    limits: {},
    managedBy: 'api',
  } as never);
  await em.flush();
  releaseAsyncContext();
  return { id: row.id, name, key };
}
