import type { KvsCodec } from '../../store/index.js';

/**
 * How a cached entry is stored: one kind byte, the time (epoch ms, float64 big-endian) until
 * which the entry is fresh (0: no soft expiry), then the codec's bytes for a value. `null` and
 * `undefined` have kinds of their own, so any codec can cache them and they stay distinct.
 * Reading is allocation-free apart from the decoded value: the hit path runs on every call.
 */
const VALUE = 0xc1;
const UNDEFINED = 0xc2;
const NULL = 0xc3;
const HEADER = 9;

/** The bytes to store for `value` (the codec may throw for values it cannot encode). */
export function seal(value: unknown, freshUntil: number, codec: KvsCodec<unknown>): Buffer {
  if (value === undefined || value === null) {
    const header = Buffer.allocUnsafe(HEADER);
    header[0] = value === null ? NULL : UNDEFINED;
    header.writeDoubleBE(freshUntil, 1);
    return header;
  }
  const payload = codec.encode(value);
  const out = Buffer.allocUnsafe(HEADER + payload.byteLength);
  out[0] = VALUE;
  out.writeDoubleBE(freshUntil, 1);
  out.set(payload, HEADER);
  return out;
}

/** Whether `bytes` are a cache entry (and not something else stored under the key). */
export function isEntry(bytes: Buffer): boolean {
  if (bytes.length < HEADER) return false;
  const kind = bytes[0];
  return (kind === VALUE || kind === UNDEFINED || kind === NULL) && bytes.readDoubleBE(1) >= 0;
}

/** Epoch ms after which the entry is stale; 0 when it never goes stale. */
export function freshUntil(bytes: Buffer): number {
  return bytes.readDoubleBE(1);
}

/** A new copy of the entry's value; throws when the codec cannot decode it. */
export function unseal(bytes: Buffer, codec: KvsCodec<unknown>): unknown {
  const kind = bytes[0];
  if (kind === NULL) return null;
  if (kind === UNDEFINED) return undefined;
  return codec.decode(bytes.subarray(HEADER));
}

/** Returned by {@link readEntry} for bytes that are not a cache entry. */
export const NOT_AN_ENTRY = Symbol('not a cache entry');

/** The hit path's read: a new copy of the entry's value, or NOT_AN_ENTRY; throws like `unseal`. */
export function readEntry(bytes: Buffer, codec: KvsCodec<unknown>): unknown {
  return isEntry(bytes) ? unseal(bytes, codec) : NOT_AN_ENTRY;
}
