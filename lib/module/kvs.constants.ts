import { describeValue } from '../shared/describe.js';
import { KvsInvalidArgumentError } from '../store/index.js';

/**
 * Injection token of the default (unnamed) store. A string, not a symbol, so it still matches
 * when two copies of the package are loaded.
 */
export const KVS_STORE = 'KVS_STORE';

/** Token of the options object inside each KvsModule instance (never exported from it). */
export const KVS_MODULE_OPTIONS = 'KVS_MODULE_OPTIONS';

/** The injection token of the store registered under `name`; `KVS_STORE` when `name` is omitted. */
export function getKvsToken(name?: string): string {
  assertKvsName(name);
  return name === undefined ? KVS_STORE : `${KVS_STORE}:${name}`;
}

/** The internal token of the {@link KvsStoreHost} that owns the store registered under `name`. */
export function getKvsHostToken(name?: string): string {
  assertKvsName(name);
  return name === undefined ? 'KVS_STORE_HOST' : `KVS_STORE_HOST:${name}`;
}

/** Checks a store name: omitted, or a non-empty string. */
export function assertKvsName(name: unknown): asserts name is string | undefined {
  if (name !== undefined && (typeof name !== 'string' || name.length === 0)) {
    throw new KvsInvalidArgumentError(
      `Invalid KvsModule name: expected a non-empty string such as 'sessions', or no name for the default store, got ${describeValue(name)}.`,
    );
  }
}
