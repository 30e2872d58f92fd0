import { randomBytes } from 'node:crypto';
import type { KvsModuleOptions } from '../lib/index.js';

/** Everything the sample reads from its environment. */
export interface SampleConfig {
  /** The store every feature shares: memory, Redis or a Redis Cluster. */
  store: KvsModuleOptions;
  /** The interface to listen on. */
  host: string;
  /** The port to listen on. */
  port: number;
  /** How browsers reach the app; the fake OAuth provider sends them back here. */
  publicUrl: string;
  /** The secret express-session signs its cookie with. */
  sessionSecret: string;
  /** How long each instance reuses a flag value it has read, in ms. */
  flagsRefreshMs: number;
  /** How long the deliberately slow product catalog takes per read, in ms. */
  catalogDelayMs: number;
}

/** The configuration, and what the operator should be warned about. */
export interface LoadedConfig {
  config: SampleConfig;
  warnings: string[];
}

/**
 * Reads the sample's configuration from `env`:
 * - `KVS_URL=redis://host:port` runs on Redis, `KVS_CLUSTER=redis://h:p,redis://h:p` on a Redis
 *   Cluster (any reachable nodes); neither: the memory store.
 * - `PORT` (default 3000), `HOST` (default 127.0.0.1), `PUBLIC_URL` (default http://localhost:PORT).
 * - `SESSION_SECRET` (default: a random one per start, with a warning).
 * - `FLAGS_REFRESH_MS` (default 1000).
 */
export function loadSampleConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const warnings: string[] = [];
  const port = whole(env['PORT'], 3000, 'PORT');
  let sessionSecret = env['SESSION_SECRET'] ?? '';
  if (sessionSecret === '') {
    sessionSecret = randomBytes(32).toString('base64url');
    warnings.push(
      'SESSION_SECRET is not set: using a random one, so sessions end when the sample restarts.',
    );
  }
  return {
    config: {
      store: storeOptions(env),
      host: env['HOST'] || '127.0.0.1',
      port,
      publicUrl: (env['PUBLIC_URL'] || `http://localhost:${port}`).replace(/\/$/, ''),
      sessionSecret,
      flagsRefreshMs: whole(env['FLAGS_REFRESH_MS'], 1000, 'FLAGS_REFRESH_MS'),
      catalogDelayMs: 300,
    },
    warnings,
  };
}

/** Memory by default; `KVS_URL` switches to Redis, `KVS_CLUSTER` to a Redis Cluster. */
export function storeOptions(env: NodeJS.ProcessEnv = process.env): KvsModuleOptions {
  const url = env['KVS_URL'];
  const cluster = env['KVS_CLUSTER'];
  if (url && cluster) throw new Error('Set KVS_URL or KVS_CLUSTER, not both.');
  if (url) return { type: 'redis', url, keyPrefix: 'sample:' };
  if (cluster) {
    const nodes = cluster
      .split(',')
      .map((node) => node.trim())
      .filter((node) => node !== '');
    return { type: 'redis', cluster: { nodes }, keyPrefix: 'sample:' };
  }
  return { type: 'memory' };
}

function whole(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${name} must be a whole number, got ${JSON.stringify(text)}.`);
  }
  return value;
}
