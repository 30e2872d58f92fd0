import { entryExt, isEntry } from '../entry/cache.envelope.js';
import { ListedVersions, type TagVersions } from './tags.call.js';
import { tagKey } from './tags.keys.js';

/**
 * The tags of a cached entry, in its extension bytes: a marker byte, a format byte, the number
 * of tags (uint16), then per tag its UTF-8 length (uint16), its bytes and the version the entry
 * saw (float64; 0: never invalidated). Big-endian throughout. Decoded lists are kept per Buffer,
 * so a local hit of a tagged entry decodes nothing; a store hit (a new Buffer each time) checks
 * the bytes against the versions read with it, without decoding them into lists.
 */

const MARKER = 0x54; // 'T'
const FORMAT = 1;

/** An entry's tags, their store keys in its namespace, and the version of each it recorded. */
export interface EntryTags {
  readonly tags: readonly string[];
  readonly keys: readonly string[];
  readonly versions: readonly number[];
}

const decoded = new WeakMap<Buffer, EntryTags | null>();

/** The extension bytes recording `tags` with `versions` (same order). */
export function encodeTags(tags: readonly string[], versions: readonly number[]): Buffer {
  const names = tags.map((tag) => Buffer.from(tag, 'utf8'));
  const out = Buffer.allocUnsafe(4 + names.reduce((n, name) => n + name.length + 10, 0));
  out[0] = MARKER;
  out[1] = FORMAT;
  out.writeUInt16BE(names.length, 2);
  let at = 4;
  names.forEach((name, i) => {
    out.writeUInt16BE(name.length, at);
    out.set(name, at + 2);
    out.writeDoubleBE(versions[i]!, at + 2 + name.length);
    at += name.length + 10;
  });
  return out;
}

/**
 * The tags a sealed entry of `namespace` records; undefined when it has none. Throws a RangeError
 * when its extension claims tags but is cut short (the caller then treats the entry as outdated).
 */
export function entryTags(bytes: Buffer, namespace: string): EntryTags | undefined {
  const known = decoded.get(bytes);
  if (known !== undefined) return known ?? undefined;
  const ext = isEntry(bytes) ? entryExt(bytes) : undefined;
  const found = ext !== undefined && ext[0] === MARKER ? decode(ext, namespace) : undefined;
  decoded.set(bytes, found ?? null);
  return found;
}

/** The extension of a sealed entry when it records tags; undefined when it has none. */
export function tagsExt(bytes: Buffer): Buffer | undefined {
  const ext = isEntry(bytes) ? entryExt(bytes) : undefined;
  return ext !== undefined && ext[0] === MARKER ? ext : undefined;
}

/** The tags an entry records whose versions are not known yet: their keys, and what it recorded. */
export interface UnknownTags {
  readonly keys: string[];
  readonly versions: number[];
}

/**
 * Whether the tags `ext` records (see {@link tagsExt}) all have the version they recorded in
 * `known`, walking the bytes (no lists are built): false at the first that does not (or when the
 * bytes are cut short); the tags `known` lacks, with their keys in `namespace`, when all others
 * match.
 */
export function matchTags(
  ext: Buffer,
  known: TagVersions | undefined,
  namespace: string,
): boolean | UnknownTags {
  if (ext[1] !== FORMAT || ext.length < 4) return false;
  const count = uint16(ext, 2);
  const listed = known instanceof ListedVersions ? known : undefined;
  let unknown: UnknownTags | undefined;
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 2 > ext.length) return false;
    const start = at + 2;
    const end = start + uint16(ext, at);
    if (end + 8 > ext.length) return false;
    const recorded = ext.readDoubleBE(end);
    // Mostly the entry's tags are the call's, in its order: compare the bytes, decode nothing.
    const mine = listed?.tags[i];
    if (mine !== undefined && isAscii(ext, start, end, mine)) {
      if (listed!.at(i) !== recorded) return false;
    } else {
      const tag = ext.toString('utf8', start, end);
      const seen = known?.get(tag);
      if (seen === undefined) {
        unknown ??= { keys: [], versions: [] };
        unknown.keys.push(tagKey(namespace, tag));
        unknown.versions.push(recorded);
      } else if (seen !== recorded) return false;
    }
    at = end + 8;
  }
  return unknown ?? true;
}

/** The big-endian uint16 at `at` (read by hand: Buffer's readUInt16BE checks more, and costs). */
const uint16 = (bytes: Buffer, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;

/** Whether `ext` from `start` to `end` holds `tag`, an ASCII string (else false). */
function isAscii(ext: Buffer, start: number, end: number, tag: string): boolean {
  if (end - start !== tag.length) return false;
  for (let j = 0; j < tag.length; j++) {
    const c = tag.charCodeAt(j);
    if (c >= 0x80 || ext[start + j] !== c) return false;
  }
  return true;
}

function decode(ext: Buffer, namespace: string): EntryTags {
  if (ext[1] !== FORMAT) throw new RangeError(`unknown tag format ${ext[1]}`);
  const count = ext.readUInt16BE(2);
  const tags: string[] = [];
  const versions: number[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const length = ext.readUInt16BE(at);
    if (at + 2 + length + 8 > ext.length) throw new RangeError('tags cut short');
    tags.push(ext.toString('utf8', at + 2, at + 2 + length));
    versions.push(ext.readDoubleBE(at + 2 + length));
    at += length + 10;
  }
  return { tags, keys: tags.map((tag) => tagKey(namespace, tag)), versions };
}
