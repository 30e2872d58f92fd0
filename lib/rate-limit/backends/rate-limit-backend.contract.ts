import {
  KvsInvalidArgumentError,
  type KvsStore,
  type RedisScript,
  type ScriptArgument,
} from '../store/index.js';
import type { CounterOutcome } from './rate-limit.algorithms.js';
import { MemoryRateLimitBackend, memoryCountersOf } from './rate-limit.memory-backend.js';
import type { ResolvedPolicy } from './rate-limit.policy.js';
import { RedisRateLimitBackend } from './rate-limit.redis-backend.js';

/** One counter of a decision: its full key, its policy and the units to spend. */
export interface CounterRequest {
  readonly key: string;
  readonly policy: ResolvedPolicy;
  readonly cost: number;
}

/** The outcome of a decision: admitted only when every counter admits, and then all of them spend. */
export interface BackendDecision {
  allowed: boolean;
  counters: CounterOutcome[];
}

/** Decides a request over several counters in one atomic step. */
export interface RateLimitBackend {
  /** Memory answers synchronously; Redis with a promise. */
  decide(requests: readonly CounterRequest[]): BackendDecision | Promise<BackendDecision>;
  /** True when `decide` does I/O (and so needs the timeout). */
  readonly remote: boolean;
}

/** A store that runs Lua scripts (a `RedisStore`, found by duck typing). */
export interface ScriptStore {
  evalScript(
    script: RedisScript,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ): Promise<unknown>;
}

/** Settings of the memory backend. */
export interface MemoryBackendOptions {
  /** Milliseconds now. */
  clock: () => number;
  /** Most counters kept per store. */
  maxKeys: number;
}

/**
 * Picks the backend for `store`: a store with `evalScript` (Redis) runs the Lua script; a
 * `MemoryStore` gets in-process counters shared by every limiter that uses the same store.
 */
export function backendFor(store: KvsStore, memory: MemoryBackendOptions): RateLimitBackend {
  if (typeof (store as Partial<ScriptStore>).evalScript === 'function') {
    return new RedisRateLimitBackend(store as KvsStore & ScriptStore);
  }
  if (store.backend === 'memory') {
    return new MemoryRateLimitBackend(memoryCountersOf(store, memory.maxKeys), memory.clock);
  }
  const kind = (store as object | null)?.constructor?.name ?? typeof store;
  throw new KvsInvalidArgumentError(
    `Rate limiting needs a MemoryStore or a RedisStore (createMemoryStore() / createRedisStore(), or KvsModule), got ${kind}. ` +
      'Other stores cannot decide atomically.',
  );
}
