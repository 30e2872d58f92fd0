import { KvsInvalidArgumentError } from '../../store/index.js';
import type { CachePlan } from '../engine/cache.writer.js';
import type { LocalTier } from '../local/local.tier.js';
import type { CallTags, TagVersions } from './tags.call.js';
import { encodeTags, entryTags, matchTags, tagsExt, type EntryTags } from './tags.ext.js';
import { epochKey, tagKey } from './tags.keys.js';
import { MAX_TAGS, tagMessages } from './tags.messages.js';
import { fetchVersions, readBefore, versionsThen } from './tags.read.js';

/**
 * Tag versions on the read and write paths. An entry is current while every tag it records still
 * has the version it recorded (equality: values never recur, and two invalidations may land out
 * of order). The reads from the store: tags.read.ts. A local hit of a tagged entry is checked
 * against the versions the local tier learnt from them, with no command.
 */

/** Returned by {@link tagsToRecord} when the load's result must not be stored. */
export const SKIP = Symbol('skip');

/** The tags an entry records; undefined when none; null when they cannot be read (outdated). */
export function tagsOf(bytes: Buffer, namespace: string): EntryTags | undefined | null {
  try {
    return entryTags(bytes, namespace);
  } catch {
    return null;
  }
}

/**
 * Whether a stored entry is current: `true` at once for an untagged entry, or when `known` (read
 * with it) has every tag's version; otherwise reads the missing versions (one more MGET).
 */
export function tagsCurrent(
  plan: CachePlan,
  bytes: Buffer,
  known?: TagVersions,
): boolean | Promise<boolean> {
  const ext = tagsExt(bytes);
  if (ext === undefined) return true;
  const found = matchTags(ext, known, plan.namespace);
  if (typeof found === 'boolean') return found;
  const { keys, versions } = found;
  return versionsThen(
    plan,
    keys,
    0,
    (read) => read !== undefined && read.every((v, n) => v === versions[n]),
  );
}

/** Whether a local entry is current by the versions this process knows (no command). */
export function locallyCurrent(tier: LocalTier, namespace: string, bytes: Buffer): boolean {
  const entry = tagsOf(bytes, namespace);
  if (entry === undefined || entry === null) return entry === undefined;
  for (let i = 0; i < entry.keys.length; i++) {
    const known = tier.get(entry.keys[i]!);
    if (known === undefined || !known.hasValue || known.value !== entry.versions[i]) return false;
  }
  return true;
}

/**
 * The tags (extension bytes) the entry of a load records: the known tags with the versions read
 * before the load, and the result's tags with versions read now, unless the epoch moved during
 * the load (an invalidation may have raced it). SKIP: do not store the result (also when the
 * versions could not be read); undefined: no tags.
 */
export async function tagsToRecord(
  plan: CachePlan,
  tags: CallTags,
  value: unknown,
): Promise<Buffer | undefined | typeof SKIP> {
  const { before } = tags;
  if (before === undefined) return SKIP;
  const all = [...tags.fixed];
  const versions = all.map((tag) => before.versions.get(tag)!);
  const extra = tags.fromResult?.(value).filter((tag) => !before.versions.has(tag)) ?? [];
  if (extra.length > 0) {
    if (all.length + extra.length > MAX_TAGS) {
      throw new KvsInvalidArgumentError(tagMessages.tooMany(plan.label, all.length + extra.length));
    }
    const keys = extra.map((tag) => tagKey(plan.namespace, tag));
    const read = await fetchVersions(plan, [epochKey(plan.namespace), ...keys], 1);
    if (read === undefined || read[0] !== before.epoch) return SKIP;
    all.push(...extra);
    versions.push(...read.slice(1));
  }
  return all.length === 0 ? undefined : encodeTags(all, versions);
}

/**
 * The tags a written entry records (`KvsCache.set`, `@CachePut`): the current versions of its
 * tags, read now. SKIP when they cannot be read (or the epoch moved while result tags were read).
 */
export async function putTags(
  plan: CachePlan,
  tags: CallTags,
  value: unknown,
): Promise<Buffer | undefined | typeof SKIP> {
  await readBefore(plan, tags);
  return tagsToRecord(plan, tags, value);
}
