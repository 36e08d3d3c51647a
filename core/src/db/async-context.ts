import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from '@mikro-orm/core';
import { RequestContext, TransactionContext } from '@mikro-orm/core';

/**
 * On Node 20, the first `AsyncLocalStorage#run` switches on promise hooks for the whole process,
 * and they stay on while any storage is enabled: every promise of every proxied request then pays
 * for context tracking (5–10 % of the gateway's CPU in profiles). MikroORM runs storages for
 * `em.transactional` (TransactionContext) and for every flush (a module-private one in its
 * UnitOfWork); the gateway needs them only when it writes through the ORM — syncing the YAML at
 * boot and on reload, creating keys — never on the request path.
 *
 * {@link captureOrmAsyncContext} finds those storages once at boot (a flush of an empty fork,
 * before the server listens, so nothing else can run meanwhile), and {@link releaseAsyncContext}
 * disables the ones not in use in the calling context after such writes, so the hooks switch off
 * again. A storage is re-enabled by its next `run`. Plugins' own storages are never touched.
 * (Node ≥ 24 tracks async context without promise hooks; there this costs nothing either way.)
 */
const ormStorages = new Set<AsyncLocalStorage<unknown>>();

/** MikroORM keeps these in private static fields (runtime properties all the same). */
const staticStorage = (cls: object): AsyncLocalStorage<unknown> | undefined => (cls as { storage?: AsyncLocalStorage<unknown> }).storage;

export async function captureOrmAsyncContext(em: EntityManager): Promise<void> {
  for (const s of [staticStorage(TransactionContext), staticStorage(RequestContext)]) if (s instanceof AsyncLocalStorage) ormStorages.add(s);
  const proto = AsyncLocalStorage.prototype as unknown as { run: (...args: unknown[]) => unknown };
  const run = proto.run;
  proto.run = function (this: AsyncLocalStorage<unknown>, ...args: unknown[]) {
    ormStorages.add(this);
    return run.apply(this, args);
  };
  try {
    await em.fork().flush();
  } finally {
    proto.run = run;
  }
  releaseAsyncContext();
}

export function releaseAsyncContext(): void {
  for (const storage of ormStorages) {
    if (storage.getStore() === undefined) storage.disable();
  }
}
