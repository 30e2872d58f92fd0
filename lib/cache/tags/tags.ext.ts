import { entryExt, isEntry } from '../entry/cache.envelope.js';
import { tagKey } from './tags.keys.js';

/**
 * The tags of a cached entry, in its extension bytes: a marker byte, a format byte, the number
 * of tags (uint16), then per tag its UTF-8 length (uint16), its bytes and the version the entry
 * saw (float64; 0: never invalidated). Big-endian throughout. Decoded lists are kept per Buffer,
 * so a local hit of a tagged entry decodes nothing.
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
