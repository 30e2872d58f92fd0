import { KvsInvalidArgumentError } from '../../store/index.js';
import type { CachePlan } from '../engine/cache.writer.js';
import { entryExt, isEntry } from '../entry/cache.envelope.js';
import type { CallTags, TagSnapshot } from '../tags/tags.call.js';
import { encodeTags, type EntryTags } from '../tags/tags.ext.js';
import { epochKey, tagKey } from '../tags/tags.keys.js';
import { MAX_TAGS, tagMessages } from '../tags/tags.messages.js';
import { callTags, type StoredTagOptions } from '../tags/tags.options.js';
import { fetchVersions } from '../tags/tags.read.js';
import { SKIP, tagsOf } from '../tags/tags.versions.js';

/**
 * Tag versions for many entries at once: the checks and the reads of a batch go through one MGET
 * of tag keys however many entries and tags there are (a namespace's tag keys share one Cluster
 * slot), never one per entry. The rules are those of lib/cache/tags/tags.versions.ts.
 */

/**
 * Whether each of `entries` (stored bytes; undefined: none) is current by its tags. `known`: the
 * versions read with the entries (by tag); the versions of the other tags the entries record are
 * read with one MGET for all of them. An entry whose tags cannot be read or checked is outdated.
 */
export async function currentMany(
  plan: CachePlan,
  entries: readonly (Buffer | undefined)[],
  known?: ReadonlyMap<string, number>,
): Promise<boolean[]> {
  const current = entries.map(() => true);
  const toCheck: [number, EntryTags][] = [];
  const unknown = new Map<string, string>();
  entries.forEach((bytes, i) => {
    // An entry without an extension has no tags: no lookup of its decoded tags at all.
    const plain = bytes === undefined || !isEntry(bytes) || entryExt(bytes) === undefined;
    const tags = plain ? undefined : tagsOf(bytes, plan.namespace);
    if (tags === undefined) return;
    const seen = tags?.tags.map((tag) => known?.get(tag));
    if (tags === null || seen!.some((v, n) => v !== undefined && v !== tags.versions[n])) {
      current[i] = false;
      return;
    }
    if (seen!.every((v) => v !== undefined)) return;
    toCheck.push([i, tags]);
    tags.tags.forEach((tag, n) => {
      if (seen![n] === undefined) unknown.set(tag, tags.keys[n]!);
    });
  });
  if (toCheck.length === 0) return current;
  const read = await fetchVersions(plan, [...unknown.values()], 0);
  const fetched = new Map<string, number>();
  if (read !== undefined) [...unknown.keys()].forEach((tag, n) => fetched.set(tag, read[n]!));
  for (const [i, { tags, versions }] of toCheck) {
    current[i] = tags.every((tag, n) => (known?.get(tag) ?? fetched.get(tag)) === versions[n]);
  }
  return current;
}

/**
 * The tags of each key of a batch, from `tags` and `resultTags` given `argsOf(key)` (the key, or
 * an id and the method's other arguments), checked when called; undefined when there are none.
 */
export function keyTags(
  label: string,
  options: StoredTagOptions | undefined,
  argsOf: (key: string) => readonly unknown[],
): ((key: string) => CallTags | undefined) | undefined {
  if (options?.tags === undefined && options?.resultTags === undefined) return undefined;
  return (key) => callTags(label, options, argsOf(key));
}

/**
 * Reads the versions of the known tags of all `calls` (and the epoch, when one has result tags)
 * with one MGET, into each one's `before`; resolves those versions by tag (undefined: the read
 * failed, and then nothing these calls load is stored). The MGET leaves at once, so a read
 * started right after shares its round trip.
 */
export async function readTagsBefore(
  plan: CachePlan,
  calls: readonly CallTags[],
): Promise<ReadonlyMap<string, number> | undefined> {
  const { namespace } = plan;
  const tags = [...new Set(calls.flatMap((call) => call.fixed))];
  const first = calls.some((call) => call.fromResult !== undefined) ? 1 : 0;
  const keys = tags.map((tag) => tagKey(namespace, tag));
  if (first === 1) keys.unshift(epochKey(namespace));
  for (const call of calls) call.read = true;
  const read = keys.length === 0 ? [] : await fetchVersions(plan, keys, first);
  if (read === undefined) return undefined;
  const versions = new Map(tags.map((tag, n) => [tag, read[n + first]!]));
  const before: TagSnapshot = { versions, epoch: first === 1 ? read[0] : undefined };
  for (const call of calls) call.before = before;
  return versions;
}

/**
 * The tags (extension bytes) each loaded value's entry records, by position: `tagsToRecord`'s
 * rule for each, with the versions of every result tag not read before read together (one MGET
 * with the epoch; an entry is skipped when the epoch moved since its `before`). SKIP: do not
 * store that value; undefined: untagged. `live(i)`: whether value i is still to be stored.
 */
export async function tagsToRecordMany(
  plan: CachePlan,
  calls: readonly (CallTags | undefined)[],
  values: readonly unknown[],
  live: (i: number) => boolean,
): Promise<(Buffer | undefined | typeof SKIP)[]> {
  const extras = calls.map((call, i): readonly string[] => {
    const seen = call?.before?.versions;
    if (seen === undefined || call!.fromResult === undefined || !live(i)) return [];
    const more = call!.fromResult(values[i]).filter((tag) => !seen.has(tag));
    const count = call!.fixed.length + more.length;
    if (count > MAX_TAGS) throw new KvsInvalidArgumentError(tagMessages.tooMany(plan.label, count));
    return more;
  });
  const wanted = [...new Set(extras.flat())];
  const keys = wanted.map((tag) => tagKey(plan.namespace, tag));
  const after =
    wanted.length === 0 ? [] : await fetchVersions(plan, [epochKey(plan.namespace), ...keys], 1);
  const afterOf = new Map(wanted.map((tag, n) => [tag, after?.[n + 1]]));
  return calls.map((call, i) => {
    if (call === undefined) return undefined;
    const { before } = call;
    if (before === undefined) return SKIP;
    const extra = extras[i]!;
    if (extra.length > 0 && (after === undefined || after[0] !== before.epoch)) return SKIP;
    const all = [...call.fixed, ...extra];
    const versions = all.map((tag) => before.versions.get(tag) ?? afterOf.get(tag)!);
    return all.length === 0 ? undefined : encodeTags(all, versions);
  });
}
