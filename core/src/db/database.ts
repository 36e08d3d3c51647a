import { MikroORM, type EntityManager } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from '../log.ts';
import { entities } from './entities.ts';
import { migrations } from '../../../migrations/index.ts';

/** The gateway's handle on PostgreSQL. */
export interface Database {
  readonly orm: MikroORM;
  /** A fresh identity map for one unit of work. */
  em(): EntityManager;
  migrate(): Promise<string[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export async function openDatabase(opts: { dsn: string; logger: Logger; poolMax?: number }): Promise<Database> {
  const orm = await MikroORM.init({
    clientUrl: opts.dsn,
    entities,
    extensions: [Migrator],
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    pool: { min: 0, max: opts.poolMax ?? 10, idleTimeoutMillis: 30_000 },
    driverOptions: { connection: { connectionTimeoutMillis: 5_000 } },
    migrations: {
      migrationsList: migrations,
      tableName: 'cch_migrations',
      transactional: true,
      allOrNothing: true,
      silent: true,
      snapshot: false,
    },
    debug: false,
    logger: (msg) => opts.logger.debug({ orm: true }, msg),
  });
  return {
    orm,
    em: () => orm.em.fork(),
    async migrate() {
      const applied = await orm.getMigrator().up();
      return applied.map((m) => m.name);
    },
    async ping() {
      try {
        await orm.em.getConnection().execute('select 1', [], 'get');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await orm.close(true);
    },
  };
}
