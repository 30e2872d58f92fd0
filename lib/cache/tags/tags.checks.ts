import { describeValue } from '../../shared/describe.js';
import { KvsInvalidArgumentError } from '../../store/index.js';
import { MAX_TAG_LENGTH, MAX_TAGS, tagMessages } from './tags.messages.js';

/**
 * The checks of tags: given in options (`tags`, `resultTags`), returned by a tag function at call
 * time, or passed to `invalidateTags`. Each throws `KvsInvalidArgumentError` naming where the
 * tags came from and what a tag must be; duplicates are dropped (they mean the same thing).
 */

/** Whether `tag` is a valid tag. */
const isTag = (tag: unknown): tag is string =>
  typeof tag === 'string' && tag.length > 0 && tag.length <= MAX_TAG_LENGTH;

/** Up to this many tags, duplicates are found by a scan: cheaper than a Set on every call. */
const SCAN_UP_TO = 16;

/**
 * `list` as checked tags (a new array without duplicates); `undefined` when it is not an array.
 * `limit`: the most tags allowed (an entry's; none for an invalidation).
 */
export function checkedTags(
  where: string,
  list: unknown,
  limit = MAX_TAGS,
): readonly string[] | undefined {
  if (!Array.isArray(list)) return undefined;
  const tags = list.length <= SCAN_UP_TO ? scanned(where, list) : [...hashed(where, list)];
  if (tags.length > limit)
    throw new KvsInvalidArgumentError(tagMessages.tooMany(where, tags.length));
  return tags;
}

/** The checked tags of a short list, in order, without duplicates. */
function scanned(where: string, list: readonly unknown[]): string[] {
  const tags: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const tag: unknown = list[i];
    if (!isTag(tag)) throw new KvsInvalidArgumentError(tagMessages.badTag(where, i, tag));
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** The checked tags of a long list, in order, without duplicates. */
function hashed(where: string, list: readonly unknown[]): Set<string> {
  const tags = new Set<string>();
  list.forEach((tag: unknown, index) => {
    if (!isTag(tag)) throw new KvsInvalidArgumentError(tagMessages.badTag(where, index, tag));
    tags.add(tag);
  });
  return tags;
}

/**
 * A `tags` option: an array of tags (checked, returned without duplicates), a function when
 * `fn` allows one, or undefined.
 */
export function checkTagsOption<F>(
  where: string,
  option: string,
  value: readonly string[] | F | undefined,
  fn: boolean,
): readonly string[] | F | undefined {
  if (value === undefined || (fn && typeof value === 'function')) return value;
  const tags = checkedTags(`${where} option ${option}`, value);
  if (tags === undefined) {
    throw new KvsInvalidArgumentError(tagMessages.notAList(where, option, value, fn));
  }
  return tags;
}

/** The result of a tag function of `label` (its `option`), checked; throws naming the function. */
export function checkTagResult(
  label: string,
  option: string,
  list: unknown,
  limit = MAX_TAGS,
): readonly string[] {
  let tags: readonly string[] | undefined;
  try {
    tags = checkedTags(`the ${option} of ${label}`, list, limit);
  } catch (err) {
    if (Array.isArray(list) && list.every(isTag)) throw err; // too many: that message says so
    tags = undefined;
  }
  if (tags === undefined) {
    throw new KvsInvalidArgumentError(tagMessages.badResult(label, option, describeValue(list)));
  }
  return tags;
}

/** The argument of `invalidateTags`: a tag or an array of them (any number), checked. */
export function checkInvalidation(where: string, tags: unknown): readonly string[] {
  const list = checkedTags(where, typeof tags === 'string' ? [tags] : tags, Infinity);
  if (list === undefined) throw new KvsInvalidArgumentError(tagMessages.notTags(where, tags));
  return list;
}
