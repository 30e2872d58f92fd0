/**
 * Where tag versions live in the store. Per namespace, one epoch counter and one key per tag that
 * was ever invalidated, all outside the namespace's value keys (`<namespace>:<key>`), so
 * deletePrefix, evictNamespace and the local tier's tracking never see them:
 *
 *   epoch   <ns>#tags{<ns>}
 *   a tag   <ns>#tags{<ns>}:<tag>
 *
 * The `{<ns>}` hash tag puts them in one Cluster hash slot, so reading any of them is one MGET.
 * In both places `%`, `{` and `}` of the namespace are percent-encoded: the hash tag is then the
 * first brace pair of the key and never empty, whatever braces the namespace holds, and two
 * namespaces never share keys.
 *
 * Every tagged hit needs its tags' keys, so they are remembered: per namespace (at most
 * {@link MAX_NAMESPACES} of them) its encoded prefix and up to {@link MAX_TAG_KEYS} tag keys, all
 * forgotten at once when that many are held (a Map from which the oldest were deleted one by one
 * would be slow to walk). A remembered key is one string whose hash the store's lookups reuse.
 */

/** The most namespaces whose keys are remembered (an application has a few). */
export const MAX_NAMESPACES = 1024;
/** The most tag keys remembered per namespace (about 1 MB of strings at most). */
export const MAX_TAG_KEYS = 16_384;

interface TagSpace {
  /** `<ns>#tags{<ns>}`, the namespace encoded. */
  readonly prefix: string;
  /** By tag, its key. */
  readonly keys: Map<string, string>;
}

const spaces = new Map<string, TagSpace>();

function spaceOf(namespace: string): TagSpace {
  let space = spaces.get(namespace);
  if (space === undefined) {
    const safe = namespace.replace(
      /[%{}]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    space = { prefix: `${safe}#tags{${safe}}`, keys: new Map() };
    if (spaces.size < MAX_NAMESPACES) spaces.set(namespace, space);
  }
  return space;
}

/** The store key of the namespace's epoch counter: every invalidation takes its next value. */
export const epochKey = (namespace: string): string => spaceOf(namespace).prefix;

/** The store key of `tag`'s version in the namespace (absent: never invalidated, version 0). */
export function tagKey(namespace: string, tag: string): string {
  const { prefix, keys } = spaceOf(namespace);
  let key = keys.get(tag);
  if (key === undefined) {
    key = `${prefix}:${tag}`;
    if (keys.size >= MAX_TAG_KEYS) keys.clear();
    keys.set(tag, key);
  }
  return key;
}

/** How many tag keys of `namespace` are remembered (for tests: the memory stays bounded). */
export const rememberedTagKeys = (namespace: string): number =>
  spaces.get(namespace)?.keys.size ?? 0;
