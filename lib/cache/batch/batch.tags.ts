import type { CachePlan } from '../engine/cache.writer.js';
import type { EntryTags } from '../tags/tags.ext.js';
import { fetchVersions, tagsOf } from '../tags/tags.versions.js';

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
    const tags = bytes === undefined ? undefined : tagsOf(bytes, plan.namespace);
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
