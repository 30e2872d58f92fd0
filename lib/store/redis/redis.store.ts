import calculateSlot from 'cluster-key-slot';
import { DeadlineQueue, ended, type Deadline } from '../../shared/deadlines.js';
import { toError } from '../../shared/errors.js';
import { withTimeout } from '../../shared/timeout.js';
import type { Cluster, Redis } from 'ioredis';
import {
  KvsClosedError,
  KvsConnectionError,
  KvsInvalidArgumentError,
  KvsNotFoundError,
  type KvsError,
} from '../kvs.errors.js';
import type { KvsStore, ScanOptions } from '../kvs.interfaces.js';
import { assertKey, assertKeys, assertValue, toScan, toStep, toTtl } from '../kvs.validation.js';
import { compareKeys } from '../kvs.order.js';
import {
  resolveRedisConfig,
  type RedisStoreConfig,
  type RedisStoreOptions,
} from './redis.options.js';
import { connectError, handshakeStep, watchHandshake } from './redis.connection.js';
import { toKvsError } from './redis.errors.js';
import type { KvsChannel } from '../kvs.channel.js';
import { RedisChannel, subscriberOf } from './redis.channel.js';
import { DELETE_IF_EQUALS, INCREMENT, PERSIST, type RedisScript } from './redis.scripts.js';

type Client = Redis | Cluster;

/** Cluster replies meaning a command was not executed and may be sent again. */
const NOT_EXECUTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;
const CLUSTER_RETRIES = 4;

/** An argument of a Lua script. */
export type ScriptArgument = string | number | Buffer;

/**
 * Creates a Redis store and resolves once Redis answers a PING. Rejects `KvsConnectionError`
 * within `connectTimeout` when it cannot, without leaking the connection.
 */
export async function createRedisStore(options: RedisStoreOptions): Promise<RedisStore> {
  const config = resolveRedisConfig(options);
  const owned = config.createClient !== undefined;
  const clients = owned
    ? Array.from({ length: config.poolSize }, () => config.createClient!())
    : [config.client!];
  const store = new RedisStore(config, clients, owned);
  // ioredis reports why a connection failed (TLS, auth) as an event; the promise only says "closed".
  // A refused handshake (credentials, database) will not get better by waiting: fail at once.
  let cause: unknown;
  let refusal: unknown;
  let refused!: (err: unknown) => void;
  const handshake = new Promise<never>((_, reject) => (refused = reject));
  const remember = (err: unknown) => {
    cause = err;
    if (refusal === undefined && handshakeStep(err) !== undefined) refused((refusal = err));
  };
  if (owned) for (const c of clients) c.on('error', remember);
  try {
    const connected = Promise.all(
      clients.map((c) => (owned ? c.connect().then(() => c.ping()) : c.ping())),
    );
    await withTimeout(
      Promise.race([connected, handshake]),
      config.connectTimeout,
      timedOutAfter(config.connectTimeout),
    );
  } catch (err) {
    if (owned) for (const c of clients) abandon(c);
    const timedOut = err instanceof ConnectTimeout;
    throw connectError(refusal ?? cause ?? (timedOut ? undefined : err), timedOut, config);
  } finally {
    for (const c of clients) c.off('error', remember);
  }
  return store;
}

/**
 * The Redis backend (ioredis): standalone, Cluster or Sentinel. Keys carry `keyPrefix`; atomic
 * operations are single commands or Lua scripts run by SHA, each one round trip.
 */
export class RedisStore implements KvsStore {
  readonly backend = 'redis';
  readonly #config: RedisStoreConfig;
  readonly #clients: Client[];
  readonly #owned: boolean;
  readonly #prefix: string;
  readonly #deadlines: DeadlineQueue;
  #turn = 0;
  #inflight = 0;
  #drained: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  #channel: RedisChannel | undefined;
  /** Per client it opened: the refused handshake that keeps its connection unusable, if any. */
  readonly #handshakes = new Map<Client, () => KvsError | undefined>();

  /** Use {@link createRedisStore}, which connects and checks the server first. */
  constructor(config: RedisStoreConfig, clients: Client[], owned: boolean) {
    this.#config = config;
    this.#clients = clients;
    this.#owned = owned;
    this.#prefix = config.keyPrefix;
    this.#deadlines = new DeadlineQueue(config.commandTimeout, { unref: true });
    if (owned) {
      const report = (err: unknown) =>
        config.onError?.(toKvsError(err, { ...config, operation: 'connect' }));
      for (const client of clients)
        this.#handshakes.set(client, watchHandshake(client, config, report));
    }
  }

  /** Where this store connects, with any password replaced by `***`. */
  get target(): string {
    return this.#config.target;
  }

  /** The prefix of every key of this store (on a Cluster, a `{hash tag}` in it puts all keys in one slot). */
  get keyPrefix(): string {
    return this.#prefix;
  }

  /** The ioredis client(s) the store uses (for health checks and advanced use). */
  get clients(): readonly Client[] {
    return this.#clients;
  }

  /**
   * Messages between the application instances that use this store (see {@link KvsChannel}):
   * Redis pub/sub on a channel named after the keyPrefix, over one subscriber connection that the
   * first subscription opens.
   */
  get channel(): KvsChannel {
    this.#channel ??= new RedisChannel({
      name: `nestjs-kvs:channel:${this.#prefix}`,
      keyPrefix: this.#prefix,
      target: this.#config.target,
      cluster: isCluster(this.#clients[0]!),
      commandTimeout: this.#config.commandTimeout,
      connect: subscriberOf(this.#clients[0]!),
      publish: (name, payload) => this.#run('publish', undefined, (c) => c.publish(name, payload)),
      report: (err) =>
        this.#config.onError?.(toKvsError(err, { ...this.#config, operation: 'subscribe' })),
    });
    return this.#channel;
  }

  toString(): string {
    return `RedisStore(${this.#config.target}${this.#prefix ? `, keyPrefix ${JSON.stringify(this.#prefix)}` : ''})`;
  }

  async get(key: string): Promise<Buffer> {
    assertKey(key);
    const value = await this.#run('get', key, (c) => c.getBuffer(this.#prefix + key));
    if (value === null) throw new KvsNotFoundError(key);
    return value;
  }

  async tryGet(key: string): Promise<Buffer | undefined> {
    assertKey(key);
    return (await this.#run('get', key, (c) => c.getBuffer(this.#prefix + key))) ?? undefined;
  }

  async getMany(keys: readonly string[]): Promise<(Buffer | undefined)[]> {
    assertKeys(keys);
    if (keys.length === 0) return this.#run('getMany', undefined, async () => []);
    return this.#run('getMany', undefined, async (c) => {
      const out: (Buffer | undefined)[] = new Array<Buffer | undefined>(keys.length);
      await Promise.all(
        this.#bySlot(keys).map(async (indexes) => {
          const values = await c.mgetBuffer(indexes.map((i) => this.#prefix + keys[i]!));
          indexes.forEach((i, n) => (out[i] = values[n] ?? undefined));
        }),
      );
      return out;
    });
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    return (await this.#run('has', key, (c) => c.exists(this.#prefix + key))) === 1;
  }

  async set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    assertKey(key);
    assertValue(value);
    const ttl = toTtl(ttlMs);
    const copy = Buffer.from(value);
    await this.#run('set', key, (c) =>
      ttl === 0 ? c.set(this.#prefix + key, copy) : c.set(this.#prefix + key, copy, 'PX', ttl),
    );
  }

  async setIfAbsent(key: string, value: Uint8Array, ttlMs?: number): Promise<boolean> {
    assertKey(key);
    assertValue(value);
    const ttl = toTtl(ttlMs);
    const copy = Buffer.from(value);
    const reply = await this.#run('setIfAbsent', key, (c) =>
      ttl === 0
        ? c.set(this.#prefix + key, copy, 'NX')
        : c.set(this.#prefix + key, copy, 'PX', ttl, 'NX'),
    );
    return reply === 'OK';
  }

  async take(key: string): Promise<Buffer | undefined> {
    assertKey(key);
    return (await this.#run('take', key, (c) => c.getdelBuffer(this.#prefix + key))) ?? undefined;
  }

  async increment(key: string, by?: number, ttlMs?: number): Promise<number> {
    assertKey(key);
    const step = toStep(by);
    const ttl = toTtl(ttlMs);
    return Number(
      await this.#script('increment', key, INCREMENT, [this.#prefix + key], [step, ttl]),
    );
  }

  async expire(key: string, ttlMs: number): Promise<boolean> {
    assertKey(key);
    const ttl = toTtl(ttlMs);
    if (ttl !== 0) {
      return (await this.#run('expire', key, (c) => c.pexpire(this.#prefix + key, ttl))) === 1;
    }
    return (await this.#script('expire', key, PERSIST, [this.#prefix + key], [])) === 1;
  }

  async ttl(key: string): Promise<number | undefined> {
    assertKey(key);
    const ms = await this.#run('ttl', key, (c) => c.pttl(this.#prefix + key));
    return ms === -2 ? undefined : ms === -1 ? Infinity : Math.max(1, ms);
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    await this.#run('delete', key, (c) => c.del(this.#prefix + key));
  }

  async deleteIfEquals(key: string, expected: Uint8Array): Promise<boolean> {
    assertKey(key);
    assertValue(expected);
    const args = [Buffer.from(expected)];
    return (
      (await this.#script('deleteIfEquals', key, DELETE_IF_EQUALS, [this.#prefix + key], args)) ===
      1
    );
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    assertKeys(keys);
    return this.#run('deleteMany', undefined, async (c) => {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return 0;
      const counts = await Promise.all(
        this.#bySlot(unique).map((indexes) => c.del(indexes.map((i) => this.#prefix + unique[i]!))),
      );
      return counts.reduce((a, b) => a + b, 0);
    });
  }

  async list(prefix?: string): Promise<string[]> {
    const keys = new Set<string>();
    for await (const key of this.scan(prefix)) keys.add(key); // scan checks the prefix
    return [...keys].sort(compareKeys);
  }

  async *scan(prefix?: string, options?: ScanOptions): AsyncIterableIterator<string> {
    const checked = toScan(prefix, options);
    const wanted = this.#prefix + checked.prefix;
    const count = checked.batchSize;
    const match = escapeGlob(wanted) + '*';
    const nodes = this.#run('scan', undefined, async (c) =>
      isCluster(c) ? c.nodes('master') : [c],
    );
    for (const node of await nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await this.#run('scan', undefined, () =>
          node.scan(cursor, 'MATCH', match, 'COUNT', count),
        );
        cursor = next;
        for (const key of batch) if (key.startsWith(wanted)) yield key.slice(this.#prefix.length);
      } while (cursor !== '0');
    }
  }

  /**
   * Runs a Lua script atomically: by SHA, sending the source again if Redis lost it (after
   * `SCRIPT FLUSH` or a restart). `keys` get the store's `keyPrefix`; on a Cluster they must share
   * a hash tag. For extensions that need their own atomic step, such as rate limiting.
   */
  async evalScript(
    script: RedisScript,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ): Promise<unknown> {
    keys.forEach((key, i) => assertKey(key, `keys[${i}]`));
    if (keys.length > 1 && this.#bySlot(keys).length > 1) {
      throw new KvsInvalidArgumentError(
        'Invalid keys: on a Redis Cluster the keys of one script must share a hash slot. ' +
          'Give them a common hash tag, e.g. "{user:42}:count" and "{user:42}:stamp".',
      );
    }
    return this.#script(
      'evalScript',
      keys[0] ?? '',
      script,
      keys.map((key) => this.#prefix + key),
      args,
    );
  }

  async ping(): Promise<void> {
    await this.#run('ping', undefined, (c) => c.ping());
  }

  /** Waits for operations in flight, then quits the connections it opened (never a client you passed). */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    await this.#channel?.close();
    if (!this.#owned) return;
    await Promise.all(
      this.#clients.map((c) =>
        withTimeout(
          c.quit(),
          this.#config.commandTimeout,
          timedOutAfter(this.#config.commandTimeout),
        ).catch(() => c.disconnect()),
      ),
    );
  }

  /**
   * Runs one operation on the next client, counting it in flight and mapping its errors. It
   * rejects `commandTimeout` ms after this call at the latest, whatever ioredis does meanwhile
   * (an auto-pipelined command waits unsent while the batch before it is unanswered, and ioredis
   * starts its own timer only when it sends).
   */
  #run<T>(
    operation: string,
    key: string | undefined,
    command: (client: Client, call: Deadline) => Promise<T>,
  ): Promise<T> {
    if (this.#closing !== undefined) return Promise.reject(new KvsClosedError(operation));
    const client =
      this.#clients.length === 1
        ? this.#clients[0]!
        : this.#clients[this.#turn++ % this.#clients.length]!;
    this.#inflight++;
    return new Promise<T>((resolve, reject) => {
      const call = this.#deadlines.start(() => {
        this.#settle();
        reject(this.#timedOut(operation));
      });
      this.#attempt(client, command, call, 1).then(
        (value) => {
          if (!this.#deadlines.end(call)) return;
          this.#settle();
          resolve(value);
        },
        (err: unknown) => {
          if (!this.#deadlines.end(call)) return;
          this.#settle();
          reject(
            this.#handshakes.get(client)?.() ??
              toKvsError(err, {
                ...this.#config,
                operation,
                ...(key === undefined ? {} : { key }),
              }),
          );
        },
      );
    });
  }

  #timedOut(operation: string): KvsConnectionError {
    return new KvsConnectionError(
      `Redis at ${this.#config.target} did not answer ${operation} within ${this.#config.commandTimeout} ms (commandTimeout). ` +
        'A write may still be applied if Redis answers late.',
    );
  }

  /**
   * Sends a command. On a Cluster, a MOVED/ASK/TRYAGAIN reply means the command did not run (a
   * failover or resharding is under way; ioredis follows redirects of auto-pipelined batches only
   * when the whole batch moved), so it is safe to send again, a few times, after a short pause;
   * never once the call has expired, as its caller was told it failed.
   */
  #attempt<T>(
    client: Client,
    command: (client: Client, call: Deadline) => Promise<T>,
    call: Deadline,
    attempt: number,
  ): Promise<T> {
    let pending: Promise<T>;
    try {
      pending = command(client, call);
    } catch (err) {
      pending = Promise.reject(toError(err));
    }
    if (!isCluster(client) || attempt > CLUSTER_RETRIES) return pending;
    return pending.catch(async (err: unknown) => {
      if (!(err instanceof Error) || !NOT_EXECUTED.test(err.message)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      if (ended(call)) throw err;
      return this.#attempt(client, command, call, attempt + 1);
    });
  }

  #settle(): void {
    if (--this.#inflight === 0 && this.#drained !== undefined) this.#drained();
  }

  /**
   * Runs a Lua script by SHA, sending its source once more if Redis lost it (NOSCRIPT), unless
   * the call expired meanwhile.
   */
  #script(
    operation: string,
    key: string,
    script: RedisScript,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ) {
    return this.#run(operation, key, async (c, call) => {
      try {
        return await c.evalsha(script.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
        if (ended(call)) throw err;
        return c.eval(script.source, keys.length, ...keys, ...args);
      }
    });
  }

  /** Groups key indexes so each group is one command: one group, or one per slot on a Cluster. */
  #bySlot(keys: readonly string[]): number[][] {
    const all = keys.map((_, i) => i);
    if (!isCluster(this.#clients[0]!)) return [all];
    const groups = new Map<number, number[]>();
    for (const i of all) {
      const slot = calculateSlot(this.#prefix + keys[i]!);
      const group = groups.get(slot);
      if (group === undefined) groups.set(slot, [i]);
      else group.push(i);
    }
    return [...groups.values()];
  }
}

/** Disconnects at once: ioredis alone would leave a socket to a silent peer open for seconds. */
function abandon(client: Client): void {
  client.disconnect();
  for (const node of isCluster(client) ? client.nodes() : [client]) node.stream?.destroy();
}

function isCluster(client: Client): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}

/** Escapes Redis glob characters so `text` matches only itself in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** A connect or quit that took longer than its timeout. */
class ConnectTimeout extends Error {}

const timedOutAfter = (ms: number) => () => new ConnectTimeout(`no answer within ${ms} ms`);
