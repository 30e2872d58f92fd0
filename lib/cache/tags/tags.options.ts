import { checkFunction } from '../cache.checks.js';
import { CallTags } from './tags.call.js';
import { checkTagResult, checkTagsOption } from './tags.checks.js';

/**
 * The tag options of the decorators and of `KvsCache`, and how one call's tags are made from
 * them. An entry carries its tags; `invalidateTags` of any of them drops it (and every other
 * entry carrying it) at a cost that does not depend on how many carry it.
 */

/** Tag options of `@Cacheable()`. */
export interface CacheableTagOptions<A extends unknown[], R> {
  /**
   * The entry's tags, known before the call: an array, or a function of the arguments
   * (`(id: string) => [\`user:${id}\`]`). Their versions are read with the entry: no extra round trip.
   */
  tags?: readonly string[] | ((...args: A) => readonly string[]);
  /**
   * More tags, chosen from the result (and the arguments) once it is computed. A hit of such an
   * entry reads their versions after the entry: one more round trip.
   */
  resultTags?: (result: R, ...args: A) => readonly string[];
}

/** Tag options of `KvsCache.wrap()`. */
export interface WrapTagOptions<T> {
  /** The entry's tags (known before the call: no extra round trip on a hit). */
  tags?: readonly string[];
  /** More tags, chosen from the result; a hit then costs one more round trip. */
  resultTags?: (result: T) => readonly string[];
}

/** Tag options of `KvsCache.set()`. */
export interface SetTagOptions {
  /** The entry's tags. Their versions are read before the write (one more round trip). */
  tags?: readonly string[];
}

/** Tag options of `@CacheEvict()`. */
export interface EvictTagOptions<A extends unknown[]> {
  /**
   * Tags to invalidate (with, or instead of, `key`, `prefix` or `allEntries`): an array, or a
   * function of the arguments. Every entry carrying one of them is dropped.
   */
  tags?: readonly string[] | ((...args: A) => readonly string[]);
}

type ArgsFn<T> = (...args: unknown[]) => T;

/** Tag options as checked and stored, argument types erased. */
export interface StoredTagOptions {
  tags?: readonly string[] | ArgsFn<readonly string[]>;
  resultTags?: (result: unknown, ...args: unknown[]) => readonly string[];
}

/** Checks the tag options of `where` (`fn`: whether `tags` may be a function of arguments). */
export function checkTagOptions(
  where: string,
  options: StoredTagOptions,
  fn: boolean,
): StoredTagOptions {
  const tags = checkTagsOption(where, 'tags', options.tags, fn);
  checkFunction(where, 'resultTags', options.resultTags);
  return tags === options.tags ? options : { ...options, tags };
}

/** The tags of one call of `label` with `args`; undefined when the options give none. */
export function callTags(
  label: string,
  options: StoredTagOptions,
  args: readonly unknown[],
): CallTags | undefined {
  const { tags, resultTags } = options;
  if (tags === undefined && resultTags === undefined) return undefined;
  const fixed = typeof tags === 'function' ? checkTagResult(label, 'tags', tags(...args)) : tags;
  return made(label, fixed, resultTags, args);
}

function made(
  label: string,
  fixed: readonly string[] | undefined,
  resultTags: StoredTagOptions['resultTags'],
  args: readonly unknown[],
): CallTags {
  const fromResult =
    resultTags &&
    ((value: unknown) => checkTagResult(label, 'resultTags', resultTags(value, ...args)));
  return new CallTags(fixed ?? [], fromResult);
}

/**
 * The tags of a `KvsCache` call (`wrap`, `set`) from its options, checked; undefined: none. On
 * the hit path of every such call: checks the options as `checkTagOptions` does, copies nothing
 * more than the tags.
 */
export function optionTags(
  where: string,
  options: StoredTagOptions | undefined,
): CallTags | undefined {
  if (options === undefined) return undefined;
  const { tags, resultTags } = options;
  const fixed = checkTagsOption(where, 'tags', tags, false);
  checkFunction(where, 'resultTags', resultTags);
  if (fixed === undefined && resultTags === undefined) return undefined;
  return made(where, typeof fixed === 'function' ? undefined : fixed, resultTags, []);
}

/** The tags `@CacheEvict` invalidates for `args`; undefined when it has none. */
export function evictTags(
  label: string,
  options: StoredTagOptions,
  args: readonly unknown[],
): readonly string[] | undefined {
  const { tags } = options;
  if (typeof tags !== 'function') return tags;
  return checkTagResult(label, 'tags', tags(...args), Infinity);
}
