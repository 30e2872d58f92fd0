import { FAILED } from '../engine/cache.space.js';
import type { CachePlan } from '../engine/cache.writer.js';
import { localTtl } from '../local/local.use.js';
import { ListedVersions, type CallTags } from './tags.call.js';
import { epochKey, tagKey } from './tags.keys.js';

/**
 * The reads of tag versions from the store. Each also teaches them to the local tier (under the
 * tags' store keys, through its fill guard, so a read that overlapped an invalidation message
 * teaches nothing); a local hit of a tagged entry is then checked against them with no command.
 * A call's versions are kept by position ({@link ListedVersions}): no Map per call.
 */

const NONE = Buffer.alloc(0);

/** A stored version: a positive integer (absent: 0); NaN when the bytes are not one. */
export function version(bytes: Buffer | undefined): number {
  if (bytes === undefined) return 0;
  let n = bytes.length > 0 && bytes.length <= 15 ? 0 : NaN; // 15 digits: exact in a double
  for (let i = 0; i < bytes.length && !Number.isNaN(n); i++) {
    const digit = bytes[i]! - 0x30;
    n = digit >= 0 && digit <= 9 ? n * 10 + digit : NaN;
  }
  if (Number.isNaN(n)) n = Number(bytes.toString('latin1')); // not plain digits: as Number() reads them
  return Number.isSafeInteger(n) && n > 0 ? n : NaN;
}

/**
 * The versions stored under `keys` (one MGET: they share a hash slot); undefined when the store
 * failed. Keys from index `learnFrom` on are tag keys, taught to the plan's local tier.
 */
export function fetchVersions(
  plan: CachePlan,
  keys: readonly string[],
  learnFrom: number,
): Promise<number[] | undefined> {
  return versionsThen(plan, keys, learnFrom, (versions) => versions);
}

/** {@link fetchVersions}, then `then` of its result, in one step of the promise chain. */
export function versionsThen<R>(
  plan: CachePlan,
  keys: readonly string[],
  learnFrom: number,
  then: (versions: number[] | undefined) => R,
): Promise<R> {
  const { space, local } = plan;
  const tier = local !== undefined && local.readiness.ready ? local.sync.tier : undefined;
  const token = tier?.begin() ?? 0;
  const sentAt = tier === undefined ? 0 : performance.now();
  const read = space.step('tags', () => space.store.getMany(keys), plan.timeout);
  return read.then((found) => {
    if (found === FAILED) return then(undefined);
    const versions: number[] = [];
    for (const bytes of found) versions.push(version(bytes));
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
    return then(versions);
  });
}

const READ = Promise.resolve();

/** The keys a call reads before its load: the epoch (with result tags), then its known tags'. */
function beforeKeys(namespace: string, tags: CallTags, keys: string[]): string[] {
  if (tags.fromResult !== undefined) keys.push(epochKey(namespace));
  for (const tag of tags.fixed) keys.push(tagKey(namespace, tag));
  return keys;
}

/** Records in `tags.before` the versions read by {@link beforeKeys}, from `read[from]` on. */
function remember(tags: CallTags, read: readonly number[], from: number): void {
  const epoch = tags.fromResult === undefined ? undefined : read[from];
  const versions = new ListedVersions(tags.fixed, read, from + (epoch === undefined ? 0 : 1));
  tags.before = { versions, epoch };
}

/**
 * Reads the versions of the call's known tags (and the epoch, with result tags) into
 * `tags.before`. The MGET leaves at once, so a read started right after shares its round trip.
 */
export function readBefore(plan: CachePlan, tags: CallTags): Promise<void> {
  tags.read = true;
  const keys = beforeKeys(plan.namespace, tags, []);
  if (keys.length === 0) {
    remember(tags, [], 0);
    return READ;
  }
  const first = tags.fromResult === undefined ? 0 : 1;
  return versionsThen(plan, keys, first, (read) => {
    if (read !== undefined) remember(tags, read, 0);
  });
}

/**
 * The keys that read `storeKey` with the versions {@link readBefore} reads, in one command (one
 * MGET; on a Cluster one per slot, sent together); {@link takeVersions} takes the answer.
 */
export function keysWithTags(plan: CachePlan, storeKey: string, tags: CallTags): string[] {
  tags.read = true;
  return beforeKeys(plan.namespace, tags, [storeKey]);
}

/** Records in `tags.before` the versions of an answer to {@link keysWithTags}; returns the entry. */
export function takeVersions(
  tags: CallTags,
  found: readonly (Buffer | undefined)[],
): Buffer | undefined {
  const read = [NaN]; // the entry's place: versions from index 1 on
  for (let i = 1; i < found.length; i++) read.push(version(found[i]));
  remember(tags, read, 1);
  return found[0];
}
