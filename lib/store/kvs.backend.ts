/**
 * What the extensions (caching, rate limiting, adapters) ask of a store they are handed: whether
 * it is a nestjs-kvs store at all, and which kind of backend it is. The one place that asks, by
 * duck typing and `store.backend`, never `instanceof` (which fails when two copies of the package
 * are loaded). Internal: not exported from the package's entry points.
 */
import { KvsInvalidArgumentError } from './kvs.errors.js';
import type { KvsStore } from './kvs.interfaces.js';
import type { RedisScript } from './redis/redis.scripts.js';
import type { ScriptArgument } from './redis/redis.store.js';

/** A store that runs Lua scripts atomically (a `RedisStore`). */
export interface ScriptStore {
  evalScript(
    script: RedisScript,
    keys: readonly string[],
    args: readonly ScriptArgument[],
  ): Promise<unknown>;
}

/**
 * Which kind of backend `store` is, for what an extension can build on it:
 * - `'scripts'`: it runs Lua scripts (`evalScript`: a `RedisStore`), so a decision over several
 *   keys is one atomic round trip, shared by every process; its answers take I/O.
 * - `'memory'`: the in-process `MemoryStore` (`backend === 'memory'`): answers synchronously, so
 *   it cannot be slow or unreachable, and in-process state is as atomic as it.
 * - `'other'`: any other store; it has only the `KvsStore` operations.
 */
export type StoreKind = 'scripts' | 'memory' | 'other';

/** The kind of `store` (see {@link StoreKind}); a store that runs scripts counts as `'scripts'`. */
export function storeKind(store: KvsStore): StoreKind {
  if (typeof (store as Partial<ScriptStore>).evalScript === 'function') return 'scripts';
  return store.backend === 'memory' ? 'memory' : 'other';
}

/** True when `store` runs Lua scripts: `storeKind(store) === 'scripts'`, as a type guard. */
export function supportsScripts(store: KvsStore): store is KvsStore & ScriptStore {
  return storeKind(store) === 'scripts';
}

/**
 * Checks that `value`, handed to the adapter `who`, is a nestjs-kvs store: an object with the
 * `backend` name every store carries (the mark extensions read instead of `instanceof`). Throws a
 * `KvsInvalidArgumentError` naming the adapter and where to get a store otherwise (for
 * `undefined` from a wrong token, an ioredis client, a Keyv instance, ...).
 */
export function assertKvsStore(value: unknown, who: string): asserts value is KvsStore {
  if (typeof (value as Partial<KvsStore> | null | undefined)?.backend === 'string') return;
  throw new KvsInvalidArgumentError(
    `${who} needs a nestjs-kvs store: new ${who}(app.get(KVS_STORE)) with the store KvsModule registers, or createMemoryStore() / createRedisStore().`,
  );
}

/**
 * Runs `script` on `store` and returns its reply, which must be an array of `length` numbers;
 * anything else rejects with `invalid(reply)` (the caller names the problem and the fix).
 */
export async function evalNumbers(
  store: ScriptStore,
  script: RedisScript,
  keys: readonly string[],
  args: readonly ScriptArgument[],
  length: number,
  invalid: (reply: unknown) => Error,
): Promise<number[]> {
  const reply: unknown = await store.evalScript(script, keys, args);
  if (
    Array.isArray(reply) &&
    reply.length === length &&
    reply.every((n) => typeof n === 'number')
  ) {
    return reply;
  }
  throw invalid(reply);
}
