/**
 * The rate limiter's backends: the contract, and `backendFor`, which picks one for a store. The
 * backends import only the contract, so nothing here imports back.
 */
import { KvsInvalidArgumentError, type KvsStore } from '../../store/index.js';
import { storeKind, supportsScripts } from '../../store/kvs.backend.js';
import { MemoryRateLimitBackend } from './memory.backend.js';
import { memoryCountersOf } from './memory.counters.js';
import type { MemoryBackendOptions, RateLimitBackend } from './rate-limit-backend.contract.js';
import { RedisRateLimitBackend } from './redis.backend.js';

export type {
  BackendDecision,
  CounterOutcome,
  CounterRequest,
  DecideMode,
  MemoryBackendOptions,
  RateLimitBackend,
} from './rate-limit-backend.contract.js';

/**
 * Picks the backend for `store`: a store that runs scripts (Redis) runs the Lua script; a
 * `MemoryStore` gets in-process counters shared by every limiter that uses the same store.
 */
export function backendFor(store: KvsStore, memory: MemoryBackendOptions): RateLimitBackend {
  if (supportsScripts(store)) return new RedisRateLimitBackend(store);
  if (storeKind(store) === 'memory') {
    return new MemoryRateLimitBackend(memoryCountersOf(store, memory.maxKeys), memory.clock);
  }
  const name = (store as object | null)?.constructor?.name ?? typeof store;
  throw new KvsInvalidArgumentError(
    `Rate limiting needs a MemoryStore or a RedisStore (createMemoryStore() / createRedisStore(), or KvsModule), got ${name}. ` +
      'Other stores cannot decide atomically.',
  );
}
