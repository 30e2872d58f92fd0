import { describeValue } from '../../shared/describe.js';

/** Texts of the tags' errors, in one place. */

/** The most tags one entry may carry: each is checked on every hit. */
export const MAX_TAGS = 64;
/** The longest tag, in characters. */
export const MAX_TAG_LENGTH = 256;

const TAG = `a non-empty string of at most ${MAX_TAG_LENGTH} characters such as 'user:42'`;

export const tagMessages = {
  notAList: (where: string, option: string, value: unknown, fn: boolean): string =>
    `Invalid ${where} option ${option}: expected an array of tags such as ['user:42']` +
    `${fn ? ' or a function of the arguments returning one' : ''}, got ${describeValue(value)}.`,

  notTags: (where: string, value: unknown): string =>
    `Invalid ${where} argument: expected a tag or an array of tags such as ['user:42'], got ${describeValue(value)}.`,

  badTag: (where: string, index: number, tag: unknown): string =>
    `Invalid tag at index ${index} of ${where}: expected ${TAG}, got ${describeValue(tag)}.`,

  tooMany: (where: string, count: number): string =>
    `${where} gives an entry ${count} tags, more than the limit of ${MAX_TAGS} (each one is ` +
    'checked on every hit). Tag an entry with the few things it depends on, e.g. ' +
    "['user:42', 'team:7'], and invalidate a broader tag for the rest.",

  badResult: (label: string, option: string, got: string): string =>
    `The ${option} function of ${label} returned ${got}; it must return an array of tags, each ${TAG}.`,
};
