import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import pg from 'pg';
import { startEmbeddedPostgres } from '../db/embedded/index.ts';
import { createLogger } from '../log.ts';

/**
 * Test databases: a fresh database per call on the server named by `DSN` (CI: the local
 * PostgreSQL), or, without DSN, on one embedded PostgreSQL shared by the whole test process.
 * Every name is unique, so two test runs can share a server side by side.
 */
let embedded: Promise<{ dsn: string; stop(): Promise<void> }> | undefined;

async function serverDsn(): Promise<string> {
  if (process.env.DSN) return process.env.DSN;
  embedded ??= (async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cch-test-pg-'));
    const pgServer = await startEmbeddedPostgres({ dataDir: dir, logger: createLogger({ level: 'warn' }) });
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    return pgServer;
  })();
  return (await embedded).dsn;
}

export interface TestDatabase {
  dsn: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(label = 'cch'): Promise<TestDatabase> {
  const base = await serverDsn();
  const name = `${label}_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  await admin(base, `create database "${name}"`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    dsn: url.toString(),
    name,
    drop: () => admin(base, `drop database if exists "${name}" with (force)`),
  };
}

async function admin(dsn: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Stop the shared embedded server, if one was started. */
export async function stopTestPostgres(): Promise<void> {
  if (embedded) await (await embedded).stop();
  embedded = undefined;
}
