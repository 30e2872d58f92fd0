import { Logger } from '@nestjs/common';
import { warnShortDuration } from '../shared/duration.js';
import { KvsInvalidArgumentError } from '../store/index.js';
import {
  checkFlag,
  checkFunction,
  checkKeyOption,
  checkName,
  checkTimeout,
  checkTtl,
  reject,
} from './cache.checks.js';
import {
  assertKeys,
  CACHEABLE_KEYS,
  EVICT_KEYS,
  PUT_KEYS,
  WRAP_KEYS,
} from './cache.option-names.js';
import type {
  CacheableOptions,
  CacheEvictOptions,
  CachePutOptions,
  CheckedLoadOptions,
  EvictMethodOptions,
  KvsCacheLoadOptions,
  StoredMethodOptions,
} from './cache.options.js';
import { assertStaleTtl } from './cache.settings.js';
import { checkGraceOptions, DEFAULT_GRACE, planGrace } from './grace/grace.options.js';
import type { TtlFunction } from './grace/grace.ttl.js';
import { checkLocalOption } from './local/local.options.js';
import { checkTagOptions, type StoredTagOptions } from './tags/tags.options.js';

/**
 * The checks of per-method and per-call options (decorators, `KvsCache`): each throws
 * `KvsInvalidArgumentError` naming the option and the fix; durations become milliseconds.
 */

const logger = new Logger('KvsCache');

/**
 * Checks per-method/per-call overrides against the options `known` in `where` (default: those of
 * `KvsCache.wrap`); returns them with every duration in milliseconds (the same object when no
 * duration was a string).
 */
export function checkEntryOptions(
  where: string,
  options: unknown,
  known: Readonly<Record<string, true>> = WRAP_KEYS,
): CheckedLoadOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return reject(where, 'argument', "an options object such as { ttl: '1m' }", options);
  }
  assertKeys(where, options, known);
  const o = options as KvsCacheLoadOptions;
  const ttlOf = typeof o.ttl === 'function' ? (o.ttl as TtlFunction) : undefined;
  const ttl = ttlOf === undefined ? checkTtl(where, 'ttl', o.ttl) : undefined;
  const graced = checkGraceOptions(where, o);
  const staleTtl = checkTtl(where, 'staleTtl', o.staleTtl);
  const timeout = checkTimeout(where, o.timeout);
  checkName(where, 'namespace', o.namespace);
  checkName(where, 'store', o.store);
  checkFlag(where, 'cacheNull', o.cacheNull);
  checkFlag(where, 'lock', o.lock);
  if (ttl !== undefined && staleTtl !== undefined) assertStaleTtl(where, ttl, staleTtl);
  if (ttl !== undefined && graced?.grace !== undefined) {
    planGrace(where, DEFAULT_GRACE, graced, ttl, staleTtl ?? 0);
  }
  warnShortDuration(`A ${where} ttl`, o.ttl, logger);
  const local = checkLocalOption(where, o.local);
  const same = ttl === o.ttl && staleTtl === o.staleTtl && timeout === o.timeout;
  if (same && o.local === undefined && graced === undefined) return o as CheckedLoadOptions;
  return { ...o, ttl, ttlOf, staleTtl, timeout, local, graced };
}

/** Checks the options of `@Cacheable()`; durations become milliseconds. */
export function checkCacheableOptions<A extends unknown[], R>(
  options: CacheableOptions<A, R>,
): StoredMethodOptions {
  const where = '@Cacheable()';
  const checked = checkEntryOptions(where, options, CACHEABLE_KEYS);
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  const { tags } = checkTagOptions(where, options as StoredTagOptions, true);
  return { ...checked, tags };
}

/** Checks the options of `@CachePut()`: like `@Cacheable()`'s, with `key` required. */
export function checkCachePutOptions<A extends unknown[], R>(
  options: CachePutOptions<A, R>,
): StoredMethodOptions {
  const where = '@CachePut()';
  const checked = checkEntryOptions(where, options, PUT_KEYS);
  if (options.key === undefined) {
    reject(where, 'key', 'a key or a function of the arguments (the entry to store)', options.key);
  }
  checkKeyOption(where, 'key', options.key);
  checkFunction(where, 'condition', options.condition);
  checkFunction(where, 'unless', options.unless);
  const { tags } = checkTagOptions(where, options as StoredTagOptions, true);
  return { ...checked, tags };
}

/** Checks the options of `@CacheEvict()`: exactly one target, then each option. */
export function checkCacheEvictOptions<A extends unknown[]>(
  options: CacheEvictOptions<A>,
): EvictMethodOptions {
  const where = '@CacheEvict()';
  if (typeof options !== 'object' || options === null) {
    throw new KvsInvalidArgumentError(
      `${where} needs options: { key }, { prefix } or { allEntries: true }.`,
    );
  }
  assertKeys(where, options, EVICT_KEYS);
  const targets = (['key', 'prefix', 'allEntries'] as const).filter(
    (k) => options[k] !== undefined && options[k] !== false,
  );
  if (targets.length > 1 || (targets.length === 0 && options.tags === undefined)) {
    throw new KvsInvalidArgumentError(
      `${where} needs exactly one of key, prefix or allEntries: true (or tags, alone or with one of them), got ${targets.length === 0 ? 'none' : targets.join(' and ')}.`,
    );
  }
  checkKeyOption(where, 'key', options.key);
  checkKeyOption(where, 'prefix', options.prefix);
  checkFlag(where, 'allEntries', options.allEntries);
  checkFlag(where, 'beforeInvocation', options.beforeInvocation);
  checkFunction(where, 'condition', options.condition);
  checkName(where, 'namespace', options.namespace);
  checkName(where, 'store', options.store);
  const timeout = checkTimeout(where, options.timeout);
  const { tags } = checkTagOptions(where, options as StoredTagOptions, true);
  return { ...options, timeout, tags } as EvictMethodOptions;
}

/** Checks a relative key given at call time. */
export function checkKey(where: string, key: unknown): string {
  if (typeof key === 'string' && key.length > 0) return key;
  return reject(where, 'key', 'a non-empty string', key);
}
