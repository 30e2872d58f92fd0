import { describeValue } from '../../shared/describe.js';
import { KvsInvalidArgumentError } from '../../store/index.js';
import type { CachePlan } from '../engine/cache.writer.js';
import { methodKey } from '../entry/cache.keys.js';
import type { CacheBatch } from './batch.engine.js';
import type { BatchLoad } from './batch.loads.js';
import { batchMessages } from './batch.messages.js';
import { keyTags } from './batch.tags.js';
import type { StoredManyOptions } from './batch.options.js';

/** A method decorated with `@CacheableMany`, as the runtime holds it. */
export interface BatchMethod {
  /** `<Class>.<method>`: the default key prefix and the name in messages. */
  readonly label: string;
  readonly original: (this: unknown, ...args: unknown[]) => unknown;
  readonly options: StoredManyOptions;
}

/**
 * One call of a `@CacheableMany` method `findByIds(ids, ...rest)`: each id's key comes from
 * `key(id, ...rest)` (or the default key of `[id, ...rest]`), its tags from `tags(id, ...rest)`,
 * its ttl and result tags from `(value, id, ...rest)`; the method runs once with the ids
 * whose keys missed (the first id of each key, in the caller's order) and the same `rest`.
 * Resolves the values in the ids' order, or with `returns: 'map'` a Map from each id to its value
 * (ids without one, i.e. `undefined`, left out).
 */
export async function cachedManyCall(
  batch: CacheBatch,
  plan: CachePlan,
  method: BatchMethod,
  self: object,
  args: unknown[],
): Promise<unknown> {
  const [ids, ...rest] = args;
  if (!Array.isArray(ids)) {
    throw new KvsInvalidArgumentError(
      batchMessages.idsNotAnArray(method.label, describeValue(ids)),
    );
  }
  const { key, unless, returns, ttlOf } = method.options;
  const keys = ids.map((id: unknown) => methodKey(method.label, key, [id, ...rest]));
  const idOf = new Map<string, unknown>();
  keys.forEach((k, i) => {
    if (!idOf.has(k)) idOf.set(k, ids[i]);
  });
  const load: BatchLoad = {
    compute: async (missing) => {
      const missingIds = missing.map((k) => idOf.get(k));
      const result: unknown = await method.original.apply(self, [missingIds, ...rest]);
      if (returns === 'array') return result;
      if (!(result instanceof Map)) {
        throw new KvsInvalidArgumentError(
          batchMessages.notAMap(method.label, describeValue(result)),
        );
      }
      return missingIds.map((id) => (result as Map<unknown, unknown>).get(id));
    },
    unless: unless && ((value, k) => unless(value, idOf.get(k), ...rest)),
    tags: keyTags(method.label, method.options, (k) => [idOf.get(k), ...rest]),
    ttl: ttlOf && ((value, k) => ttlOf(value, idOf.get(k), ...rest)),
  };
  const values = await batch.cachedMany(plan, keys, load);
  if (returns === 'array') return values;
  const byId = new Map<unknown, unknown>();
  values.forEach((value, i) => {
    if (value !== undefined && !byId.has(ids[i])) byId.set(ids[i], value);
  });
  return byId;
}
