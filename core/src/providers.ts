import type { Database } from './db/database.ts';
import { ProviderEntity, type ProviderRow } from './db/entities.ts';
import { DEFAULT_TIMEOUTS, type ProviderAdapter, type ProviderRecord } from './provider.ts';
import type { SecretBox } from './secrets.ts';
import type { Logger } from './log.ts';
import { errors } from './errors.ts';

/**
 * The run-time view of providers: rows from the database with credentials decrypted, kept in
 * memory (the hot path never queries for them), plus the registry of adapters by type.
 */
export interface ProviderDirectory {
  list(): readonly ProviderRecord[];
  get(id: number): ProviderRecord | undefined;
  byName(name: string): ProviderRecord | undefined;
  adapter(type: string): ProviderAdapter | undefined;
  adapters(): readonly ProviderAdapter[];
  /** Reload from the database (after a change). */
  refresh(): Promise<void>;
}

export interface ProviderRegistry extends ProviderDirectory {
  register(adapter: ProviderAdapter, by: string): void;
}

export function createProviderRegistry(db: Database, box: SecretBox, logger: Logger): ProviderRegistry {
  let records: ProviderRecord[] = [];
  let byId = new Map<number, ProviderRecord>();
  const adapters = new Map<string, ProviderAdapter>();
  return {
    list: () => records,
    get: (id) => byId.get(id),
    byName: (name) => records.find((r) => r.name === name),
    adapter: (type) => adapters.get(type),
    adapters: () => [...adapters.values()],
    register(adapter, by) {
      if (adapters.has(adapter.type)) throw errors.providerTypeDuplicate(adapter.type, by);
      adapters.set(adapter.type, adapter);
    },
    async refresh() {
      const rows = await db.em().find(ProviderEntity, {}, { orderBy: { priority: 'asc', id: 'asc' } });
      const next: ProviderRecord[] = [];
      for (const row of rows) {
        try {
          next.push(toRecord(row, box.decrypt(row.keyEncrypted)));
        } catch {
          logger.error({ provider: row.name }, 'cannot decrypt provider credential (was CCH_SECRET changed?); provider skipped');
        }
      }
      records = next;
      byId = new Map(next.map((r) => [r.id, r]));
    },
  };
}

function toRecord(row: ProviderRow, key: string): ProviderRecord {
  return {
    id: row.id,
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
    timeouts: { ...DEFAULT_TIMEOUTS, ...(row.timeouts ?? {}) },
    managedBy: row.managedBy,
  };
}
