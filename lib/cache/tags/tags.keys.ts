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
 */

const prefixes = new Map<string, string>();

/** `<ns>#tags{<ns>}` with the namespace encoded (memoized: a few namespaces per application). */
function tagPrefix(namespace: string): string {
  let prefix = prefixes.get(namespace);
  if (prefix === undefined) {
    const safe = namespace.replace(
      /[%{}]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
    prefix = `${safe}#tags{${safe}}`;
    if (prefixes.size < 1024) prefixes.set(namespace, prefix);
  }
  return prefix;
}

/** The store key of the namespace's epoch counter: every invalidation takes its next value. */
export const epochKey = (namespace: string): string => tagPrefix(namespace);

/** The store key of `tag`'s version in the namespace (absent: never invalidated, version 0). */
export const tagKey = (namespace: string, tag: string): string => `${tagPrefix(namespace)}:${tag}`;
