import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Provider credentials are encrypted at rest with AES-256-GCM under a key derived from
 * CCH_SECRET. Ciphertext format: `v1:<iv b64>:<tag b64>:<data b64>`.
 */
export interface SecretBox {
  encrypt(plain: string): string;
  decrypt(sealed: string): string;
}

export function createSecretBox(secret: string): SecretBox {
  const key = crypto.createHash('sha256').update(`cch-secret-box:${secret}`).digest();
  return {
    encrypt(plain) {
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return `v1:${iv.toString('base64')}:${c.getAuthTag().toString('base64')}:${data.toString('base64')}`;
    },
    decrypt(sealed) {
      const [v, iv, tag, data] = sealed.split(':');
      if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('unrecognised ciphertext');
      const d = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(data, 'base64')), d.final()]).toString('utf8');
    },
  };
}

/** Read the single-node secret from the data dir, creating it (0600) on first start. */
export function loadOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret');
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    fs.mkdirSync(dataDir, { recursive: true });
    const s = crypto.randomBytes(32).toString('base64url');
    fs.writeFileSync(file, s + '\n', { mode: 0o600, flag: 'wx' });
    return s;
  }
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A new hub key: `hub_sk_` + 40 base62 characters (~238 bits), unbiased. */
export function generateHubKey(): string {
  let out = '';
  while (out.length < 40) {
    for (const b of crypto.randomBytes(48)) {
      if (b < 248 && out.length < 40) out += BASE62[b % 62];
    }
  }
  return `hub_sk_${out}`;
}

/** Hex SHA-256 of a key, as stored. */
export function hashKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Recognisable, non-secret hint of a key: its first 11 characters. */
export function keyHint(key: string): string {
  return key.length > 16 ? `${key.slice(0, 11)}…` : '…';
}

/** Hint for a provider credential: last four characters only. */
export function credentialHint(key: string): string {
  return key.length >= 12 ? `…${key.slice(-4)}` : '…';
}

/** Constant-time string comparison (compares digests so lengths do not leak). */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}
