import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { KvsInvalidArgumentError, toInvalid, type KvsError } from '../kvs.errors.js';
import { describeValue } from '../../shared/describe.js';
import { assertKnownKeys, type OptionNames } from '../../shared/known-keys.js';
import { toPrefix } from '../kvs.validation.js';
import { parseRedisUrl, type RedisEndpoint } from './redis.url.js';

/** A Redis node address. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Options of {@link createRedisStore}. Give exactly one of `url`, `cluster`, `sentinel`, `client`. */
export interface RedisStoreOptions {
  /**
   * `redis://[user:password@]host:port[/db]`, `rediss://...` for TLS, `unix:///path/redis.sock`
   * (optionally `?db=N`), or a socket path such as `/run/redis.sock`.
   */
  url?: string;
  /** A Redis Cluster: its nodes as `redis://` URLs or addresses (credentials from the first URL). */
  cluster?: { nodes: readonly (string | RedisNodeAddress)[]; options?: ClusterOptions };
  /** A Sentinel-managed master. `url` credentials (if any) are used for the master. */
  sentinel?: {
    sentinels: readonly RedisNodeAddress[];
    /** The master's name as the sentinels know it. */
    name: string;
    /** Password of the sentinels themselves, when they require one. */
    sentinelPassword?: string;
    /** Credentials of the master and replicas. */
    username?: string;
    password?: string;
    db?: number;
  };
  /** An ioredis client you already have. The store uses it as it is and never closes it. */
  client?: Redis | Cluster;
  /** Prepended to every key; `list` and `scan` never see keys outside it. Default ''. */
  keyPrefix?: string;
  /**
   * Connections the store opens and spreads commands over (round robin). ioredis multiplexes
   * every command over one connection, so the default is 1; see the benchmark before raising it.
   */
  poolSize?: number;
  /** Ms to connect and answer the first PING before `createRedisStore` rejects. Default 5000. */
  connectTimeout?: number;
  /**
   * Ms any command may take, counted from its call (also while it waits behind an unanswered
   * auto-pipelined batch), before it rejects `KvsConnectionError`. A write that timed out is never
   * sent again, but Redis may still apply it when it answers late. Default 2000.
   */
  commandTimeout?: number;
  /** Batch commands issued in the same tick into one write (ioredis auto-pipelining). Default true. */
  autoPipelining?: boolean;
  /** Further ioredis options (e.g. `tls` certificates), applied before the store's own. */
  redisOptions?: RedisOptions;
  /**
   * Told of connection errors of the connections the store opened (reconnects, refused
   * connections), with any password scrubbed. Commands report their own failures regardless.
   */
  onError?: (error: KvsError) => void;
}

/** The option names of a Redis store (checked at runtime: plain JS and variables escape tsc). */
export const REDIS_STORE_OPTIONS: OptionNames<RedisStoreOptions> = {
  url: true,
  cluster: true,
  sentinel: true,
  client: true,
  keyPrefix: true,
  poolSize: true,
  connectTimeout: true,
  commandTimeout: true,
  autoPipelining: true,
  redisOptions: true,
  onError: true,
};

const CLUSTER_OPTIONS: OptionNames<NonNullable<RedisStoreOptions['cluster']>> = {
  nodes: true,
  options: true,
};

const SENTINEL_OPTIONS: OptionNames<NonNullable<RedisStoreOptions['sentinel']>> = {
  sentinels: true,
  name: true,
  sentinelPassword: true,
  username: true,
  password: true,
  db: true,
};

/** The resolved, validated configuration of a Redis store. */
export interface RedisStoreConfig {
  kind: 'standalone' | 'cluster' | 'sentinel' | 'client';
  keyPrefix: string;
  poolSize: number;
  connectTimeout: number;
  commandTimeout: number;
  /** Where the store connects, with any password replaced by `***`. Safe to log. */
  target: string;
  /** Secrets to scrub from any error text that reaches the user. */
  secrets: string[];
  /** Builds one connected-on-demand client (not for `kind: 'client'`). */
  createClient?: () => Redis | Cluster;
  client?: Redis | Cluster;
  onError?: (error: KvsError) => void;
}

const DEFAULTS = { connectTimeout: 5000, commandTimeout: 2000, poolSize: 1 };

/** Validates `options` and resolves how to connect. Throws `KvsInvalidArgumentError`. */
export function resolveRedisConfig(options: RedisStoreOptions): RedisStoreConfig {
  if (typeof options !== 'object' || options === null) {
    throw new KvsInvalidArgumentError(
      `Invalid Redis options: expected an object, got ${describeValue(options)}.`,
    );
  }
  assertKnownKeys('the Redis store options', options, REDIS_STORE_OPTIONS, toInvalid);
  for (const [name, known] of [
    ['cluster', CLUSTER_OPTIONS],
    ['sentinel', SENTINEL_OPTIONS],
  ] as const) {
    const nested: unknown = options[name];
    if (typeof nested === 'object' && nested !== null) {
      assertKnownKeys(`the Redis option ${name}`, nested, known, toInvalid);
    }
  }
  const sources = (['url', 'cluster', 'sentinel', 'client'] as const).filter(
    (k) => options[k] !== undefined,
  );
  if (
    sources.length !== 1 &&
    !(sources.length === 2 && sources.includes('url') && sources.includes('sentinel'))
  ) {
    throw new KvsInvalidArgumentError(
      sources.length === 0
        ? 'Redis options need one of url, cluster, sentinel or client, e.g. { url: "redis://localhost:6379" }.'
        : `Redis options take one of url, cluster, sentinel or client, got ${sources.join(' and ')}.`,
    );
  }
  const keyPrefix = toPrefix(options.keyPrefix ?? '', 'keyPrefix');
  const connectTimeout = positiveMs(
    'connectTimeout',
    options.connectTimeout ?? DEFAULTS.connectTimeout,
  );
  const commandTimeout = positiveMs(
    'commandTimeout',
    options.commandTimeout ?? DEFAULTS.commandTimeout,
  );
  const poolSize = options.poolSize ?? DEFAULTS.poolSize;
  if (
    typeof poolSize !== 'number' ||
    !Number.isSafeInteger(poolSize) ||
    poolSize < 1 ||
    poolSize > 64
  ) {
    throw new KvsInvalidArgumentError(
      `Invalid poolSize: expected a whole number from 1 to 64, got ${describeValue(poolSize)}.`,
    );
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    throw new KvsInvalidArgumentError(
      `Invalid onError: expected a function, got ${describeValue(options.onError)}.`,
    );
  }
  const common = { keyPrefix, connectTimeout, commandTimeout, poolSize, onError: options.onError };
  if (options.client !== undefined) {
    return {
      ...common,
      kind: 'client',
      poolSize: 1,
      target: 'a client you provided',
      secrets: [],
      client: options.client,
    };
  }
  const base: RedisOptions = {
    ...options.redisOptions,
    lazyConnect: true,
    connectTimeout,
    commandTimeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: options.autoPipelining ?? true,
    // A failed or abandoned connection is torn down at once instead of lingering for 2 s.
    disconnectTimeout: 100,
  };
  if (options.sentinel !== undefined) return sentinelConfig(options, base, common);
  if (options.cluster !== undefined) return clusterConfig(options.cluster, base, common);
  const endpoint = parseRedisUrl(options.url);
  return {
    ...common,
    kind: 'standalone',
    target: endpoint.target,
    secrets: endpoint.secrets,
    createClient: () => new Redis(mergeTls({ ...base, ...endpoint.options }, options.redisOptions)),
  };
}

function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new KvsInvalidArgumentError(
      `Invalid ${name}: expected a positive number of milliseconds, got ${describeValue(value)}.`,
    );
  }
  return Math.ceil(value);
}

type Common = Pick<
  RedisStoreConfig,
  'keyPrefix' | 'connectTimeout' | 'commandTimeout' | 'poolSize' | 'onError'
>;

function clusterConfig(
  cluster: NonNullable<RedisStoreOptions['cluster']>,
  base: RedisOptions,
  common: Common,
): RedisStoreConfig {
  if (!Array.isArray(cluster.nodes) || cluster.nodes.length === 0) {
    throw new KvsInvalidArgumentError(
      'Invalid cluster.nodes: expected at least one node URL or { host, port }.',
    );
  }
  const endpoints = cluster.nodes.map((node: unknown): RedisEndpoint => {
    if (typeof node === 'string') return parseRedisUrl(node);
    const address = checkAddress(node, 'cluster.nodes');
    return { options: address, target: `${address.host}:${address.port}`, secrets: [] };
  });
  const credentials = withoutAddress(endpoints[0]!.options);
  const nodes = endpoints.map((e) => ({
    host: e.options.host ?? '127.0.0.1',
    port: e.options.port ?? 6379,
  }));
  const { lazyConnect, enableOfflineQueue, enableAutoPipelining, ...redisOptions } = base;
  return {
    ...common,
    kind: 'cluster',
    target: `cluster(${endpoints.map((e) => e.target).join(', ')})`,
    secrets: endpoints.flatMap((e) => e.secrets),
    createClient: () =>
      new Cluster(nodes, {
        ...cluster.options,
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining,
        // ioredis would send a command again when its node's connection closed before the reply,
        // though Redis may have run it: an increment would count twice.
        retryDelayOnFailover: 0,
        redisOptions: { ...redisOptions, ...credentials, ...cluster.options?.redisOptions },
      }),
  };
}

function sentinelConfig(
  options: RedisStoreOptions,
  base: RedisOptions,
  common: Common,
): RedisStoreConfig {
  const sentinel = options.sentinel!;
  if (!Array.isArray(sentinel.sentinels) || sentinel.sentinels.length === 0) {
    throw new KvsInvalidArgumentError(
      'Invalid sentinel.sentinels: expected at least one { host, port }.',
    );
  }
  if (typeof sentinel.name !== 'string' || sentinel.name.length === 0) {
    throw new KvsInvalidArgumentError(
      'Invalid sentinel.name: expected the master name the sentinels monitor, e.g. "mymaster".',
    );
  }
  const sentinels = sentinel.sentinels.map((s) => checkAddress(s, 'sentinel.sentinels'));
  const fromUrl = options.url === undefined ? undefined : parseRedisUrl(options.url);
  const urlOptions = { ...withoutAddress(fromUrl?.options ?? {}), db: fromUrl?.options.db };
  const secrets = [
    ...(fromUrl?.secrets ?? []),
    sentinel.password,
    sentinel.sentinelPassword,
  ].filter((s): s is string => typeof s === 'string' && s.length > 0);
  return {
    ...common,
    kind: 'sentinel',
    target: `sentinel(${sentinel.name}@${sentinels.map((s) => `${s.host}:${s.port}`).join(', ')})`,
    secrets,
    createClient: () =>
      new Redis({
        ...base,
        ...urlOptions,
        sentinels,
        name: sentinel.name,
        ...(sentinel.sentinelPassword !== undefined
          ? { sentinelPassword: sentinel.sentinelPassword }
          : {}),
        ...(sentinel.username !== undefined ? { username: sentinel.username } : {}),
        ...(sentinel.password !== undefined ? { password: sentinel.password } : {}),
        ...(sentinel.db !== undefined ? { db: sentinel.db } : {}),
      }),
  };
}

function checkAddress(node: unknown, argument: string): RedisNodeAddress {
  const n = node as Partial<RedisNodeAddress> | null;
  if (
    typeof n !== 'object' ||
    n === null ||
    typeof n.host !== 'string' ||
    !Number.isInteger(n.port)
  ) {
    throw new KvsInvalidArgumentError(
      `Invalid ${argument}: expected { host: string, port: number }, got ${describeValue(node)}.`,
    );
  }
  return { host: n.host, port: n.port as number };
}

/** Keeps TLS settings the caller gave in `redisOptions` (a CA, client certificates) over the URL's. */
function mergeTls(options: RedisOptions, extra: RedisOptions | undefined): RedisOptions {
  if (options.tls === undefined || extra?.tls === undefined) return options;
  return { ...options, tls: { ...options.tls, ...extra.tls } };
}

/** `options` without where to connect: the credentials and settings a node URL carries. */
function withoutAddress(options: RedisOptions): RedisOptions {
  const { host, port, path, db, ...rest } = options;
  return rest;
}
