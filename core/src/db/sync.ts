import type { EntityManager } from '@mikro-orm/postgresql';
import { releaseAsyncContext } from './async-context.ts';
import type { GatewayConfig } from '../config/schema.ts';
import type { SecretBox } from '../secrets.ts';
import { hashKey, keyHint } from '../secrets.ts';
import { ApiKeyEntity, GroupEntity, ProviderEntity, UserEntity } from './entities.ts';

export interface SyncReport {
  providers: number;
  groups: number;
  users: number;
  keys: number;
  removed: number;
}

/**
 * Make the database match the YAML's providers, groups, users and keys. Rows declared in YAML are
 * marked `managedBy: config` (read-only in the console and API); config rows that left the YAML
 * are removed. Rows created through the API are left alone unless YAML now declares the same name,
 * in which case YAML takes them over.
 */
export async function syncConfig(em: EntityManager, config: GatewayConfig, box: SecretBox): Promise<SyncReport> {
  const report: SyncReport = { providers: 0, groups: 0, users: 0, keys: 0, removed: 0 };
  await em.transactional(async (tx) => {
    const providerNames = new Set<string>();
    for (const p of config.providers ?? []) {
      providerNames.add(p.name);
      const row = (await tx.findOne(ProviderEntity, { name: p.name })) ?? tx.create(ProviderEntity, { name: p.name } as never);
      let sameKey = false;
      if (row.keyEncrypted) {
        try {
          sameKey = box.decrypt(row.keyEncrypted) === p.key;
        } catch {
          sameKey = false;
        }
      }
      tx.assign(row, {
        type: p.type,
        url: p.url,
        keyEncrypted: sameKey ? row.keyEncrypted : box.encrypt(p.key),
        weight: p.weight ?? 1,
        priority: p.priority ?? 0,
        groups: p.groups ?? ['default'],
        models: p.models ?? [],
        modelRedirects: p.modelRedirects ?? {},
        costMultiplier: String(p.costMultiplier ?? 1),
        limits: p.limits ?? {},
        acceptsTranslation: p.acceptsTranslation ?? false,
        timeouts: p.timeouts ?? {},
        enabled: p.enabled ?? true,
        managedBy: 'config',
      });
      report.providers++;
    }
    report.removed += await tx.nativeDelete(ProviderEntity, { managedBy: 'config', name: { $nin: [...providerNames] } });

    const groupNames = new Set<string>();
    for (const g of config.groups ?? []) {
      groupNames.add(g.name);
      const row = (await tx.findOne(GroupEntity, { name: g.name })) ?? tx.create(GroupEntity, { name: g.name } as never);
      tx.assign(row, { providerGroups: g.providerGroups ?? ['default'], limits: g.limits ?? {}, managedBy: 'config' });
      report.groups++;
    }
    report.removed += await tx.nativeDelete(GroupEntity, { managedBy: 'config', name: { $nin: [...groupNames] } });

    const userNames = new Set<string>();
    for (const u of config.users ?? []) {
      userNames.add(u.name);
      const user = (await tx.findOne(UserEntity, { name: u.name })) ?? tx.create(UserEntity, { name: u.name } as never);
      tx.assign(user, {
        groupName: u.group ?? null,
        providerGroups: u.providerGroups ?? null,
        limits: u.limits ?? {},
        enabled: u.enabled ?? true,
        managedBy: 'config',
      });
      await tx.flush();
      const hashes: string[] = [];
      for (const k of u.keys ?? []) {
        const hash = k.key ? hashKey(k.key) : k.keyHash!.slice('sha256:'.length);
        hashes.push(hash);
        const key =
          (await tx.findOne(ApiKeyEntity, { keyHash: hash })) ??
          (await tx.findOne(ApiKeyEntity, { userId: user.id, name: k.name })) ??
          tx.create(ApiKeyEntity, { keyHash: hash } as never);
        tx.assign(key, {
          userId: user.id,
          name: k.name,
          keyHash: hash,
          keyHint: k.key ? keyHint(k.key) : `sha256:${hash.slice(0, 8)}…`,
          enabled: k.enabled ?? true,
          expiresAt: k.expiresAt ? new Date(k.expiresAt) : null,
          allowedModels: k.allowedModels ?? null,
          allowedClients: k.allowedClients ?? null,
          providerGroups: k.providerGroups ?? null,
          limits: k.limits ?? {},
          managedBy: 'config',
        });
        report.keys++;
      }
      await tx.flush();
      report.removed += await tx.nativeDelete(ApiKeyEntity, { userId: user.id, managedBy: 'config', keyHash: { $nin: hashes } });
      report.users++;
    }
    report.removed += await tx.nativeDelete(UserEntity, { managedBy: 'config', name: { $nin: [...userNames] } });
  });
  releaseAsyncContext();
  return report;
}
