import { Redis, type Cluster } from 'ioredis';
import { toError } from '../../shared/errors.js';
import { withTimeout } from '../../shared/timeout.js';
import type { KvsChannel, KvsChannelHandler, KvsSubscription } from '../kvs.channel.js';
import { KvsBackendError, KvsInvalidArgumentError } from '../kvs.errors.js';
import { Subscriptions } from '../channel/channel.subscriptions.js';

/** Where Redis sends tracking invalidations to a RESP2 client that redirects them to itself. */
const INVALIDATE = '__redis__:invalidate';
/** How often the subscriber proves it still answers; a half-open connection is found within ~2 s. */
export const HEARTBEAT_MS = 1000;

/** What the channel needs from its store. */
export interface RedisChannelConfig {
  /** The pub/sub channel, one per store keyPrefix, so stores that share a server stay apart. */
  readonly name: string;
  readonly keyPrefix: string;
  readonly target: string;
  readonly cluster: boolean;
  readonly commandTimeout: number;
  /** Opens the subscriber connection (RESP2, no auto-resubscribe, lazy). */
  /** Opens the subscriber connection (RESP2, no auto-resubscribe, lazy); undefined: no node known yet. */
  readonly connect: () => Redis | undefined;
  /** Publishes through the store's own connections, bounded by its commandTimeout. */
  readonly publish: (name: string, payload: string) => Promise<unknown>;
  /** Reports a connection error of the subscriber (already free of secrets). */
  readonly report: (err: unknown) => void;
}

/**
 * The Redis store's channel: one subscriber connection per store, opened by the first
 * subscription and closed with the last. It speaks RESP2 because ioredis drops RESP3 push frames,
 * and Redis sends tracking invalidations to a RESP2 client only as pub/sub messages on
 * `__redis__:invalidate`; the subscriber redirects its own BCAST tracking to itself, so one
 * connection carries both. It is up from SUBSCRIBE's reply until its connection closes or a
 * heartbeat PING goes unanswered; then it reconnects, and is up again once subscribed (and
 * tracking) anew. Publishing goes through the store's data connections.
 */
export class RedisChannel implements KvsChannel {
  readonly #subs: Subscriptions;
  readonly #prefixes = new Set<string>();
  #conn: Redis | undefined;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(private readonly config: RedisChannelConfig) {
    this.#subs = new Subscriptions({
      send: (payload) => this.#send(payload),
      track: (prefix) => this.#track(prefix),
      idle: () => void this.#stop(),
    });
  }

  subscribe(handler: KvsChannelHandler): KvsSubscription {
    const sub = this.#subs.add(handler);
    if (this.#conn === undefined && !this.#closed) this.#start();
    return sub;
  }

  /** The store closes: the subscriber quits and subscriptions are told the channel is down. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#subs.fail(new KvsInvalidArgumentError('The store was closed.'));
    await this.#stop();
  }

  async #send(payload: string): Promise<boolean> {
    if (this.#closed) return false;
    try {
      await this.config.publish(this.config.name, payload);
      return true;
    } catch {
      return false;
    }
  }

  async #track(prefix: string): Promise<void> {
    if (this.config.cluster) {
      throw new KvsInvalidArgumentError(
        'local.tracking is not available on a Redis Cluster: each node reports changes of its own keys only. ' +
          'Use the local tier without tracking (writes made through the library still invalidate every instance).',
      );
    }
    const full = this.config.keyPrefix + prefix;
    const covered = [...this.#prefixes].some((p) => full.startsWith(p));
    if (!covered) {
      for (const p of this.#prefixes) if (p.startsWith(full)) this.#prefixes.delete(p);
      this.#prefixes.add(full);
      // A subscribed RESP2 connection takes no CLIENT TRACKING: a connection past its handshake
      // reconnects with the new prefix set (the channel is down meanwhile: users drop what they hold).
      if (this.#conn?.status === 'ready') {
        this.#subs.setUp(false);
        this.#conn.disconnect(true);
      }
    }
    await this.#subs.whenUp();
  }

  #start(): void {
    const conn = this.config.connect();
    if (conn === undefined) return this.#restart();
    this.#conn = conn;
    conn.on('error', (err: unknown) => this.config.report(err));
    conn.on('close', () => this.#subs.setUp(false));
    // ioredis gave up on this node (a Cluster subscriber's node went away): start over on the next.
    conn.on('end', () => {
      if (conn !== this.#conn || this.#closed) return;
      clearInterval(this.#heartbeat);
      this.#conn = undefined;
      this.#restart();
    });
    conn.on('ready', () => void this.#subscribe(conn));
    conn.on('messageBuffer', (channel: Buffer, payload: Buffer | Buffer[] | null) =>
      this.#received(channel, payload),
    );
    conn.connect().catch(() => undefined);
    this.#heartbeat = setInterval(() => void this.#beat(conn), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #restart(): void {
    setTimeout(() => {
      if (this.#conn === undefined && !this.#closed && this.#subs.size > 0) this.#start();
    }, 100).unref();
  }

  async #stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    const conn = this.#conn;
    this.#conn = undefined;
    this.#subs.setUp(false);
    if (conn === undefined) return;
    await withTimeout(conn.quit(), this.config.commandTimeout, () => new Error('quit')).catch(() =>
      conn.disconnect(),
    );
  }

  /** On every (re)connection: tracking first (a subscribed connection takes no other command), then SUBSCRIBE. */
  async #subscribe(conn: Redis): Promise<void> {
    try {
      const channels = [this.config.name];
      if (this.#prefixes.size > 0) {
        const id = String(await conn.client('ID'));
        const prefixes = [...this.#prefixes].flatMap((p) => ['PREFIX', p]);
        await conn
          .call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', id, 'BCAST', ...prefixes)
          .catch((err: unknown) => {
            throw trackingRefused(err, this.config.target);
          });
        channels.push(INVALIDATE);
      }
      await conn.subscribe(...channels);
      if (conn === this.#conn && conn.status === 'ready') this.#subs.setUp(true);
    } catch (err) {
      if (err instanceof KvsBackendError) {
        this.#subs.fail(err);
        this.config.report(err);
      }
      // Anything else is a connection problem: ioredis reconnects and 'ready' comes again.
    }
  }

  /** A PING that goes unanswered takes the channel down and reconnects. */
  async #beat(conn: Redis): Promise<void> {
    if (!this.#subs.up || conn !== this.#conn) return;
    try {
      await withTimeout(conn.ping(), this.config.commandTimeout, () => new Error('heartbeat'));
    } catch {
      if (conn !== this.#conn) return;
      this.#subs.setUp(false);
      conn.disconnect(true);
    }
  }

  #received(channel: Buffer, payload: Buffer | Buffer[] | null): void {
    const name = channel.toString();
    if (name === this.config.name) {
      if (Buffer.isBuffer(payload)) this.#subs.deliver(payload.toString());
      return;
    }
    if (name !== INVALIDATE) return;
    if (payload === null) return this.#subs.invalidated(null);
    const { keyPrefix } = this.config;
    const keys: string[] = [];
    for (const raw of Array.isArray(payload) ? payload : [payload]) {
      const key = raw.toString();
      if (key.startsWith(keyPrefix)) keys.push(key.slice(keyPrefix.length));
    }
    if (keys.length > 0) this.#subs.invalidated(keys);
  }
}

/** Why CLIENT TRACKING failed, with the fix. */
function trackingRefused(err: unknown, target: string): KvsBackendError {
  const message = toError(err).message;
  if (/NOPERM/i.test(message)) {
    return new KvsBackendError(
      `Redis at ${target} refused CLIENT TRACKING for local.tracking (ACL: ${message.split('\n')[0]}). ` +
        'Allow the user +client|id +client|tracking +subscribe, or turn local.tracking off.',
    );
  }
  return new KvsBackendError(
    `Redis at ${target} cannot do client-side caching for local.tracking (CLIENT TRACKING needs Redis >= 6.0): ` +
      `${message.split('\n')[0]}. Upgrade Redis, or turn local.tracking off.`,
  );
}

/** The subscriber connection for a store's clients: RESP2, no auto-resubscribe, lazy. */
export function subscriberOf(client: Redis | Cluster): () => Redis | undefined {
  const override = {
    protocol: 2 as const,
    autoResubscribe: false,
    lazyConnect: true,
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    maxRetriesPerRequest: null,
    connectionName: 'nestjs-kvs:channel',
  };
  if (!isClusterClient(client)) return () => client.duplicate(override);
  let turn = 0;
  return () => {
    // Classic pub/sub reaches every node of a Cluster: any one node will do, the next on each reconnect.
    const masters = client.nodes('master');
    const nodes = masters.length > 0 ? masters : client.nodes('all');
    if (nodes.length === 0) return undefined;
    const { host, port } = nodes[turn++ % nodes.length]!.options;
    return new Redis({
      ...client.options.redisOptions,
      host,
      port,
      ...override,
      retryStrategy: (times: number) => (times > 3 ? null : 100 * times),
    });
  };
}

function isClusterClient(client: Redis | Cluster): client is Cluster {
  return (client as { isCluster?: boolean }).isCluster === true;
}
