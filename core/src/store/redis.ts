import { createHash } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { ScriptDefinition, ScriptRunner, Store } from './types.ts';

/** Options for {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** `redis://host:port/db`, `rediss://…`, or `redis+cluster://h1:p1,h2:p2` (`rediss+cluster://` for TLS). */
  url: string;
  /** Prepended to every key and pub/sub channel, so several deployments can share one Redis. */
  prefix: string;
  /** Receives connection trouble after startup (startup failures reject instead). */
  logger?: { warn(obj: object, msg?: string): void };
}

type Client = Redis | Cluster;
/** Local handlers of one Redis channel; `ready` settles with the SUBSCRIBE reply. */
interface Channel {
  handlers: Set<{ handler: (message: string) => void }>;
  ready: Promise<unknown>;
}

const CONNECT_TIMEOUT_MS = 2000;
const STARTUP_TIMEOUT_MS = 3000;
const PING_TIMEOUT_MS = 2000;
const QUIT_TIMEOUT_MS = 1000;
const DEFAULT_SCAN_LIMIT = 1000;
const SCAN_COUNT = 500;

/**
 * Shared connection options. `maxRetriesPerRequest: 1` plus a short connect timeout make a
 * dead Redis fail calls within seconds rather than queueing them forever; the offline queue
 * stays on so commands issued during a brief reconnect still go through.
 */
const BASE_OPTIONS = {
  lazyConnect: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  maxRetriesPerRequest: 1,
  // Commands issued in the same tick (e.g. a balancer's parallel health lookups) share one round trip.
  enableAutoPipelining: true,
} satisfies RedisOptions;

/** Same rounding as the memory store: Redis rejects `PX 0` and fractional milliseconds. */
function storeTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs)) throw new RangeError(`invalid TTL: ${ttlMs}`);
  return Math.max(1, Math.ceil(ttlMs));
}

/** Hides credentials so URLs can go into errors and logs. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** Glob-escapes the prefix so a prefix containing `*`, `?` or `[` still matches literally. */
function escapeGlob(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

interface ClusterUrl {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

/** `new URL` cannot parse a comma-separated host list, so cluster URLs are split by hand. */
function parseClusterUrl(url: string): ClusterUrl {
  const m = /^(rediss?)\+cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!m) throw new Error(`invalid Redis cluster URL: ${redact(url)}`);
  const [, scheme, auth, hosts] = m as unknown as [string, string, string | undefined, string];
  let username: string | undefined;
  let password: string | undefined;
  if (auth !== undefined) {
    const i = auth.indexOf(':');
    username = decodeURIComponent(i === -1 ? auth : auth.slice(0, i)) || undefined;
    password = i === -1 ? undefined : decodeURIComponent(auth.slice(i + 1));
  }
  const nodes = hosts.split(',').map((hp) => {
    // Accepts `host`, `host:port` and `[ipv6]:port`.
    const hm = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(hp.trim());
    if (!hm) throw new Error(`invalid Redis cluster node "${hp}" in ${redact(url)}`);
    return { host: hm[1] ?? hm[2]!, port: hm[3] ? Number(hm[3]) : 6379 };
  });
  return { nodes, username, password, tls: scheme === 'rediss' };
}

function createClient(url: string, prefix: string): Client {
  if (/^rediss?\+cluster:/i.test(url)) {
    const c = parseClusterUrl(url);
    const options: ClusterOptions = {
      keyPrefix: prefix,
      lazyConnect: true,
      enableAutoPipelining: true,
      redisOptions: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        maxRetriesPerRequest: 1,
        username: c.username,
        password: c.password,
        tls: c.tls ? {} : undefined,
      },
    };
    return new Cluster(c.nodes, options);
  }
  if (!/^rediss?:\/\//i.test(url)) throw new Error(`unsupported Redis URL: ${redact(url)}`);
  return new Redis(url, { ...BASE_OPTIONS, keyPrefix: prefix });
}

/** Connects a lazily-created client; on failure tears it down so no reconnect loop lingers. */
async function connectOrFail(client: Client, url: string): Promise<void> {
  // connect() itself often only reports "Connection is closed."; the socket error says why.
  let socketError: unknown;
  const onError = (err: unknown): void => {
    socketError = err;
  };
  client.on('error', onError);
  const connecting = client.connect();
  // If the timeout wins, the late rejection must not surface as unhandled.
  connecting.catch(() => undefined);
  try {
    // The ready check can hang on a server that accepts TCP but never answers.
    await withTimeout(connecting, STARTUP_TIMEOUT_MS, 'connect');
  } catch (err) {
    client.disconnect();
    const cause = socketError ?? err;
    throw new Error(`Cannot connect to Redis at ${redact(url)}: ${errorMessage(cause)}`, { cause });
  } finally {
    client.off('error', onError);
  }
}

async function quit(client: Client): Promise<void> {
  try {
    await withTimeout(client.quit(), QUIT_TIMEOUT_MS, 'quit');
  } catch {
    /* already closed or unreachable: disconnect below is all that is left to do */
  } finally {
    client.disconnect();
  }
}

/**
 * Creates a Redis-backed store shared by all gateway instances. Resolves once connected;
 * rejects within about three seconds when Redis cannot be reached.
 */
export async function createRedisStore(opts: RedisStoreOptions): Promise<Store> {
  const { url, prefix, logger } = opts;
  const client = createClient(url, prefix);
  await connectOrFail(client, url);
  // Attached only now: startup failures are reported by rejecting, not logged too.
  watchErrors(client, 'command');

  const scripts = new Map<string, string>();
  const channels = new Map<string, Channel>();
  let subscriber: Promise<Client> | undefined;

  /**
   * Without an 'error' listener ioredis prints every reconnect failure to stderr; log only the
   * first error per outage.
   */
  function watchErrors(c: Client, role: string): void {
    let reported = false;
    c.on('error', (err: unknown) => {
      if (reported || !logger) return;
      reported = true;
      logger.warn({ err, url: redact(url), role }, 'Redis connection error');
    });
    c.on('ready', () => {
      reported = false;
    });
  }

  /** Pub/sub needs its own connection: a subscribed connection cannot run other commands. */
  function getSubscriber(): Promise<Client> {
    subscriber ??= (async () => {
      const sub = client.duplicate();
      sub.on('message', (channel: string, message: string) => {
        const ch = channels.get(channel);
        if (!ch) return;
        for (const s of [...ch.handlers]) {
          try {
            s.handler(message);
          } catch (err) {
            logger?.warn({ err, channel }, 'store subscriber threw');
          }
        }
      });
      try {
        await connectOrFail(sub, url);
      } catch (err) {
        subscriber = undefined; // let the next subscribe try again
        throw err;
      }
      watchErrors(sub, 'subscriber');
      return sub;
    })();
    return subscriber;
  }

  /** Runs a MULTI and surfaces the first command error, as a single command would. */
  async function transaction(build: (m: ReturnType<Client['multi']>) => unknown): Promise<unknown[]> {
    const m = client.multi();
    build(m);
    const res = await m.exec();
    if (!res) throw new Error('Redis transaction aborted');
    return res.map(([err, value]) => {
      if (err) throw err;
      return value;
    });
  }

  return {
    kind: 'redis',
    clustered: client instanceof Cluster,

    get: (key) => client.get(key),

    async set(key, value, o = {}) {
      const ttl = o.ttlMs === undefined ? undefined : storeTtl(o.ttlMs);
      let r: string | null;
      if (ttl !== undefined && o.nx) r = await client.set(key, value, 'PX', ttl, 'NX');
      else if (ttl !== undefined) r = await client.set(key, value, 'PX', ttl);
      else if (o.nx) r = await client.set(key, value, 'NX');
      else r = await client.set(key, value);
      return r === 'OK';
    },

    async del(...keys) {
      // DEL without keys is a Redis syntax error.
      if (keys.length === 0) return 0;
      // A cluster refuses multi-key DEL across slots (CROSSSLOT), so delete one by one.
      if (client instanceof Cluster) {
        const counts = await Promise.all(keys.map((key) => client.del(key)));
        return counts.reduce((a, b) => a + b, 0);
      }
      return client.del(...keys);
    },

    async incrBy(key, amount, ttlMs) {
      if (ttlMs === undefined) return client.incrby(key, amount);
      const ttl = storeTtl(ttlMs);
      const [v] = await transaction((m) => m.incrby(key, amount).pexpire(key, ttl));
      return v as number;
    },

    pttl: (key) => client.pttl(key),

    async expire(key, ttlMs) {
      return (await client.pexpire(key, storeTtl(ttlMs))) === 1;
    },

    async hset(key, fields, ttlMs) {
      const ttl = ttlMs === undefined ? undefined : storeTtl(ttlMs);
      const entries = Object.entries(fields).map(([f, v]) => [f, String(v)] as const);
      // HSET without fields is a syntax error; with a TTL still refresh it.
      if (entries.length === 0) {
        if (ttl !== undefined) await client.pexpire(key, ttl);
        return;
      }
      const obj = Object.fromEntries(entries);
      if (ttl === undefined) await client.hset(key, obj);
      else await transaction((m) => m.hset(key, obj).pexpire(key, ttl));
    },

    hgetall: (key) => client.hgetall(key),

    async scan(pattern, limit = DEFAULT_SCAN_LIMIT) {
      // keyPrefix does not apply to MATCH, and in a cluster each master holds a share of keys.
      const match = escapeGlob(prefix) + pattern;
      const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client];
      const found = new Set<string>(); // SCAN may return a key more than once
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', SCAN_COUNT);
          cursor = next;
          for (const key of keys) {
            if (key.startsWith(prefix)) found.add(key.slice(prefix.length));
            if (found.size >= limit) return [...found];
          }
        } while (cursor !== '0');
      }
      return [...found];
    },

    defineScript<R = unknown>(def: ScriptDefinition): ScriptRunner<R> {
      const known = scripts.get(def.name);
      if (known !== undefined && known !== def.lua) {
        throw new Error(`script ${def.name} is already defined with a different body`);
      }
      scripts.set(def.name, def.lua);
      // EVALSHA with a fallback to EVAL (which also caches the script on the server), not ioredis'
      // defineCommand: every auto-pipeline copies each defined command onto itself, which made
      // every batch of commands allocate a few KB per script (see bench/README.md).
      const sha = createHash('sha1').update(def.lua).digest('hex');
      const lua = def.lua;
      return (keys, args) =>
        (client.evalsha(sha, keys.length, ...keys, ...args) as Promise<R>).catch((err: unknown) => {
          if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
          return client.eval(lua, keys.length, ...keys, ...args) as Promise<R>;
        });
    },

    async publish(channel, message) {
      await client.publish(prefix + channel, message);
    },

    async subscribe(channel, handler) {
      const full = prefix + channel;
      const sub = await getSubscriber();
      const entry = { handler };
      let ch = channels.get(full);
      if (!ch) {
        const fresh: Channel = { handlers: new Set(), ready: sub.subscribe(full) };
        channels.set(full, (ch = fresh));
        fresh.ready.catch(() => {
          if (channels.get(full) === fresh) channels.delete(full);
        });
      }
      ch.handlers.add(entry);
      try {
        // A second subscriber to a channel still waits for the SUBSCRIBE reply.
        await ch.ready;
      } catch (err) {
        ch.handlers.delete(entry);
        throw err;
      }
      const mine = ch;
      return async () => {
        if (!mine.handlers.delete(entry)) return;
        if (mine.handlers.size === 0 && channels.get(full) === mine) {
          channels.delete(full);
          // Commands on one connection run in order, so a later re-subscribe still wins.
          await sub.unsubscribe(full);
        }
      };
    },

    async ping() {
      try {
        return (await withTimeout(client.ping(), PING_TIMEOUT_MS, 'ping')) === 'PONG';
      } catch {
        return false;
      }
    },

    async close() {
      const sub = subscriber?.catch(() => undefined);
      subscriber = undefined;
      channels.clear();
      await Promise.all([quit(client), sub?.then((s) => s && quit(s))]);
    },
  };
}
