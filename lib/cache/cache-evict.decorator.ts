import { KvsInvalidArgumentError } from '../store/index.js';
import type { EvictMethodOptions } from './cache.invoker.js';
import { replaceMethod, type CacheMethodDecorator } from './cache.method.js';
import {
  checkFlag,
  checkFunction,
  checkKeyOption,
  checkName,
  checkMs,
} from './cache.validation.js';

/** Options of {@link CacheEvict}: exactly one of `key`, `prefix` and `allEntries`. */
export interface CacheEvictOptions<A extends unknown[] = never[]> {
  /** The key(s) to remove (within the namespace): a string, or a function of the arguments returning one or several. */
  key?: string | ((...args: A) => string | readonly string[]);
  /** Removes every key of the namespace that starts with this prefix. */
  prefix?: string | ((...args: A) => string);
  /** Removes every entry of the namespace, and nothing outside it. */
  allEntries?: boolean;
  /** Evict before the method runs (even if it then throws). Default false: after it succeeds. */
  beforeInvocation?: boolean;
  /** Checked before the call: when false, nothing is evicted. */
  condition?: (...args: A) => boolean;
  /** The namespace to evict from, instead of the module's. */
  namespace?: string;
  /** The KvsModule store (its `name`), instead of the module's. */
  store?: string;
  /** The most a single store step may take. */
  timeout?: number;
}

/**
 * Removes cache entries when the method succeeds (or before it runs, with `beforeInvocation`):
 * `@CacheEvict({ key: (id: string) => \`user:${id}\` })`. A failing store never fails the call.
 */
export function CacheEvict<A extends unknown[] = never[]>(
  options: CacheEvictOptions<A>,
): CacheMethodDecorator<A, unknown> {
  const where = '@CacheEvict()';
  if (typeof options !== 'object' || options === null) {
    throw new KvsInvalidArgumentError(
      `${where} needs options: { key }, { prefix } or { allEntries: true }.`,
    );
  }
  const targets = (['key', 'prefix', 'allEntries'] as const).filter(
    (k) => options[k] !== undefined && options[k] !== false,
  );
  if (targets.length !== 1) {
    throw new KvsInvalidArgumentError(
      `${where} needs exactly one of key, prefix or allEntries: true, got ${targets.length === 0 ? 'none' : targets.join(' and ')}.`,
    );
  }
  checkKeyOption(where, 'key', options.key);
  checkKeyOption(where, 'prefix', options.prefix);
  checkFlag(where, 'allEntries', options.allEntries);
  checkFlag(where, 'beforeInvocation', options.beforeInvocation);
  checkFunction(where, 'condition', options.condition);
  checkName(where, 'namespace', options.namespace);
  checkName(where, 'store', options.store);
  checkMs(where, 'timeout', options.timeout, 1);
  const stored = { ...options } as EvictMethodOptions;
  return (target, propertyKey, descriptor) =>
    replaceMethod('evict', 'CacheEvict', stored, target, propertyKey, descriptor);
}
