import { KvsInvalidArgumentError } from '../../store/index.js';
import { FAILED } from '../engine/cache.space.js';
import type { CachePlan } from '../engine/cache.writer.js';
import type { LocalTier } from '../local/local.tier.js';
import { localTtl } from '../local/local.use.js';
import type { CallTags } from './tags.call.js';
import { encodeTags, entryTags, type EntryTags } from './tags.ext.js';
import { epochKey, tagKey } from './tags.keys.js';
import { MAX_TAGS, tagMessages } from './tags.messages.js';

/**
 * Tag versions on the read and write paths. An entry is current while every tag it records still
 * has the version it recorded (equality: values never recur, and two invalidations may land out
 * of order). Each read of versions from the store also teaches them to the local tier (under the
 * tags' store keys, through its fill guard, so a read that overlapped an invalidation message
 * teaches nothing); a local hit of a tagged entry is then checked against them with no command.
 */

/** Returned by {@link tagsToRecord} when the load's result must not be stored. */
export const SKIP = Symbol('skip');

const NONE = Buffer.alloc(0);

/** A stored version: a positive integer (absent: 0); NaN when the bytes are not one. */
function version(bytes: Buffer | undefined): number {
  if (bytes === undefined) return 0;
  const n = Number(bytes.toString('latin1'));
  return Number.isSafeInteger(n) && n > 0 ? n : NaN;
}

/**
 * The versions stored under `keys` (one MGET: they share a hash slot); undefined when the store
 * failed. Keys from index `learnFrom` on are tag keys, taught to the plan's local tier.
 */
export async function fetchVersions(
  plan: CachePlan,
  keys: readonly string[],
  learnFrom: number,
): Promise<number[] | undefined> {
  const { space, local } = plan;
  const tier = local !== undefined && local.readiness.ready ? local.sync.tier : undefined;
  const token = tier?.begin() ?? 0;
  const sentAt = performance.now();
  const found = await space.step('tags', () => space.store.getMany(keys), plan.timeout);
  if (found === FAILED) return undefined;
  const versions = found.map(version);
  if (tier !== undefined) {
    const ttl = localTtl(local!, Infinity, sentAt);
    for (let i = learnFrom; i < keys.length; i++) {
      const entry = tier.fill(keys[i]!, found[i] ?? NONE, ttl, token);
      if (entry !== undefined) {
        entry.value = versions[i];
        entry.hasValue = true;
      }
    }
  }
  return versions;
}

/**
 * Reads the versions of the call's known tags (and the epoch, with result tags) into
 * `tags.before`. The MGET leaves at once, so a read started right after shares its round trip.
 */
export async function readBefore(plan: CachePlan, tags: CallTags): Promise<void> {
  tags.read = true;
  const { namespace } = plan;
  const epoch = tags.fromResult === undefined ? 0 : 1;
  const keys = tags.fixed.map((tag) => tagKey(namespace, tag));
  if (epoch === 1) keys.unshift(epochKey(namespace));
  const read = keys.length === 0 ? [] : await fetchVersions(plan, keys, epoch);
  if (read === undefined) return;
  const versions = new Map<string, number>();
  tags.fixed.forEach((tag, i) => versions.set(tag, read[i + epoch]!));
  tags.before = { versions, epoch: epoch === 1 ? read[0] : undefined };
}

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
  known?: ReadonlyMap<string, number>,
): boolean | Promise<boolean> {
  const entry = tagsOf(bytes, plan.namespace);
  if (entry === undefined || entry === null) return entry === undefined;
  const missing: number[] = [];
  for (let i = 0; i < entry.tags.length; i++) {
    const seen = known?.get(entry.tags[i]!);
    if (seen === undefined) missing.push(i);
    else if (seen !== entry.versions[i]) return false;
  }
  if (missing.length === 0) return true;
  const keys = missing.map((i) => entry.keys[i]!);
  return fetchVersions(plan, keys, 0).then(
    (read) => read !== undefined && read.every((v, n) => v === entry.versions[missing[n]!]),
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
