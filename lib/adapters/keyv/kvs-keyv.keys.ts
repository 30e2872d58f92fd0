import { createHash } from 'node:crypto';
import { MAX_KEY_BYTES } from '../../store/index.js';

/** UTF-16 code units of a long key kept, readable, in front of its digest. */
const HEAD_CHARS = 200;
/** `:#` and 43 base64url characters: the tail of a digested key (SHA-256 is 32 bytes). */
const DIGESTED = /:#[A-Za-z0-9_-]{43}$/;

/**
 * Where a Keyv key lives in the store: `<scope><key>`, `scope` being `<prefix>[<namespace>:]`.
 *
 * A key the store cannot hold (over {@link MAX_KEY_BYTES} once scoped) is stored as
 * `<scope><first 200 chars of key>:#<SHA-256 of key, base64url>`, which is at most ~700 bytes
 * whatever the key's length: so @nestjs/cache-manager's URL keys are cached however long the URL.
 * A short key that happens to end like a digest (`:#` and 43 base64url chars) is digested too,
 * so a stored key that looks like a digest always is one: no caller-chosen key can take the place
 * of a long key's entry. SHA-256 of the key's UTF-16 code units is collision-free in practice.
 */
export function toStoreKey(scope: string, key: string): string {
  const scoped = scope + key;
  const fits = scoped.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(scoped) <= MAX_KEY_BYTES;
  if (fits && !DIGESTED.test(key)) return scoped;
  const digest = createHash('sha256').update(key, 'utf16le').digest('base64url');
  return `${scope}${head(key)}:#${digest}`;
}

/** The first {@link HEAD_CHARS} code units of `key`, never ending inside a surrogate pair. */
function head(key: string): string {
  const end = Math.min(key.length, HEAD_CHARS);
  const last = key.charCodeAt(end - 1);
  return key.slice(0, last >= 0xd800 && last <= 0xdbff ? end - 1 : end);
}
