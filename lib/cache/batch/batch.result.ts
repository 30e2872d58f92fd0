import { describeValue } from '../../shared/describe.js';
import { KvsInvalidArgumentError } from '../../store/index.js';
import { batchMessages } from './batch.messages.js';

/**
 * The values a batch loader resolved for `missing`, one per key in their order: the array itself
 * (it must have one value per key), or each key's value in a Map (`undefined` for a key the Map
 * lacks). Anything else throws, so nothing is stored.
 */
export function valuesOf(result: unknown, missing: readonly string[], label: string): unknown[] {
  if (Array.isArray(result)) {
    if (result.length === missing.length) return result as unknown[];
    throw new KvsInvalidArgumentError(
      batchMessages.wrongLength(label, missing.length, result.length),
    );
  }
  if (result instanceof Map)
    return missing.map((key) => (result as Map<unknown, unknown>).get(key));
  throw new KvsInvalidArgumentError(batchMessages.notArrayOrMap(label, describeValue(result)));
}

/** `keys` without repeats, in the order of their first position. */
export function distinct(keys: readonly string[]): string[] {
  return keys.length < 2 ? [...keys] : [...new Set(keys)];
}

/** A batch without the cache (caching off, or shut down): the loader runs for every distinct key. */
export async function uncachedMany(
  keys: readonly string[],
  compute: (missing: string[]) => unknown,
  label: string,
): Promise<unknown[]> {
  const unique = distinct(keys);
  const values = valuesOf(await compute([...unique]), unique, label);
  if (unique.length === keys.length) return values;
  const byKey = new Map(unique.map((key, i) => [key, values[i]]));
  return keys.map((key) => byKey.get(key));
}
