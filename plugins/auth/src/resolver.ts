import { CONFIG_CHANNEL, hashKey, type Database, type Identity, type Logger, type Store, ApiKeyEntity, UserEntity, GroupEntity } from '@cch/core';

export type Resolution = { ok: true; identity: Identity; allowedClients: string[] } | { ok: false; reason: string };

export interface AuthService {
  /** Resolve a plaintext hub key (cached). */
  resolve(key: string): Promise<Resolution>;
  /** Drop cached resolutions here and on every other instance (after a key/user/group change). */
  invalidate(): Promise<void>;
}

interface CacheEntry {
  value: Resolution;
  expires: number;
  /** Key or user expiry, checked on every hit. */
  validUntil: number;
}

const CHANNEL = 'auth:invalidate';

/** Resolves hub keys to identities with an in-memory cache invalidated through the store. */
export function createKeyResolver(db: Database, store: Store, opts: { cacheTtlMs: number; negativeCacheTtlMs: number }, logger: Logger) {
  const cache = new Map<string, CacheEntry>();
  const unsubscribes: (() => Promise<void>)[] = [];
  const lastUsed = new Map<number, number>();

  async function lookup(hash: string): Promise<{ value: Resolution; validUntil: number }> {
    const em = db.em();
    const key = await em.findOne(ApiKeyEntity, { keyHash: hash });
    if (!key) return { value: { ok: false, reason: 'invalid API key' }, validUntil: Infinity };
    const user = await em.findOne(UserEntity, { id: key.userId });
    if (!user) return { value: { ok: false, reason: 'invalid API key' }, validUntil: Infinity };
    if (!key.enabled) return { value: { ok: false, reason: 'this API key is disabled' }, validUntil: Infinity };
    if (!user.enabled) return { value: { ok: false, reason: `user "${user.name}" is disabled` }, validUntil: Infinity };
    const group = user.groupName ? await em.findOne(GroupEntity, { name: user.groupName }) : null;
    const validUntil = Math.min(key.expiresAt?.getTime() ?? Infinity, user.expiresAt?.getTime() ?? Infinity);
    const identity: Identity = {
      userId: user.id,
      userName: user.name,
      keyId: key.id,
      keyName: key.name,
      groupName: user.groupName ?? undefined,
      providerGroups: key.providerGroups ?? user.providerGroups ?? group?.providerGroups ?? ['default'],
      allowedModels: key.allowedModels ?? [],
      limits: { key: key.limits ?? {}, user: user.limits ?? {}, group: group?.limits ?? {} },
    };
    return { value: { ok: true, identity, allowedClients: key.allowedClients ?? [] }, validUntil };
  }

  function touch(keyId: number): void {
    const now = Date.now();
    if ((lastUsed.get(keyId) ?? 0) > now - 60_000) return;
    lastUsed.set(keyId, now);
    db.em()
      .nativeUpdate(ApiKeyEntity, { id: keyId }, { lastUsedAt: new Date(now) })
      .catch((err: unknown) => logger.debug({ err }, 'lastUsedAt update failed'));
  }

  const service: AuthService & { start(): Promise<void>; stop(): Promise<void> } = {
    async resolve(key) {
      const hash = hashKey(key);
      const now = Date.now();
      let entry = cache.get(hash);
      if (!entry || entry.expires <= now) {
        const { value, validUntil } = await lookup(hash);
        entry = { value, validUntil, expires: now + (value.ok ? opts.cacheTtlMs : opts.negativeCacheTtlMs) };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, entry);
      }
      if (entry.validUntil <= now) return { ok: false, reason: 'this API key has expired' };
      if (entry.value.ok) touch(entry.value.identity.keyId);
      return entry.value;
    },
    async invalidate() {
      cache.clear();
      await store.publish(CHANNEL, String(Date.now()));
    },
    async start() {
      // Explicit invalidations, and any configuration change (a YAML reload on any instance).
      for (const channel of [CHANNEL, CONFIG_CHANNEL]) unsubscribes.push(await store.subscribe(channel, () => cache.clear()));
    },
    async stop() {
      await Promise.all(unsubscribes.map((u) => u()));
    },
  };
  return service;
}
