/** Types, constants and small helpers shared by the embedded PostgreSQL modules. */
import { createHash } from 'node:crypto';

/** The subset of a pino-style logger this module needs. */
export interface EmbeddedPostgresLogger {
  info(o: object | string, m?: string): void;
  warn(o: object | string, m?: string): void;
}

/** The database the gateway uses. */
export const DATABASE = 'cch';
/** Both the cluster superuser and, as root, the OS user the server runs as. */
export const SUPERUSER = 'postgres';

/** Our bookkeeping for a cluster, stored next to it (mode 0600). */
export interface Meta {
  password: string;
  port?: number;
  /** Node process that started the current postmaster; tells an orphan from a live sibling. */
  ownerPid?: number;
}

/** A resolved PostgreSQL build. */
export interface Binaries {
  /** Directory holding bin/, lib/, share/. */
  nativeDir: string;
  postgres: string;
  initdb: string;
  /** Package version (e.g. 18.4.0-beta.17) or a synthetic key for custom builds. */
  version: string;
  major?: number;
}

/** The OS user (uid/gid) the server and initdb run as. */
export interface Ids {
  uid: number;
  gid: number;
}

/** `name` with the platform's executable suffix. */
export function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}

/** The last `lines` lines of `text`. */
export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Hex SHA-256 of `s`. */
export function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The message of an error-like value, for error texts and logs. */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
