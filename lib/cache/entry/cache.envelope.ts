import type { KvsCodec } from '../../store/index.js';

/**
 * How a cached entry is stored. The plain form: one kind byte, the time (epoch ms, float64
 * big-endian) until which the entry is fresh (0: no soft expiry), then the codec's bytes for a
 * value. The extended form, written only when an entry needs it (a grace period, tags): its own
 * kind byte, the same fresh-until time, the time until which the entry may be served stale
 * (float64; 0: until the store drops it), the length of an extension (uint32) and its bytes
 * (opaque here: tags are encoded by their own module), then the value's bytes. `null` and
 * `undefined` have kinds of their own in both forms, so any codec can cache them and they stay
 * distinct. Reading is allocation-free apart from the decoded value: the hit path runs on every
 * call.
 */
const VALUE = 0xc1;
const UNDEFINED = 0xc2;
const NULL = 0xc3;
const HEADER = 9;
const X_VALUE = 0xc5;
const X_UNDEFINED = 0xc6;
const X_NULL = 0xc7;
/** kind, fresh-until, stale-until, extension length. */
const X_HEADER = 21;

/** What an entry carries besides its value (beyond the fresh-until time). */
export interface EntryExtras {
  /** Epoch ms until which a stale entry may be served; 0 (default): until the store drops it. */
  readonly staleUntil?: number;
  /** Extension bytes (for example the entry's tags); none by default. */
  readonly ext?: Uint8Array | undefined;
}

/** The bytes to store for `value` (the codec may throw for values it cannot encode). */
export function seal(
  value: unknown,
  freshUntil: number,
  codec: KvsCodec<unknown>,
  extras?: EntryExtras,
): Buffer {
  const staleUntil = extras?.staleUntil ?? 0;
  const ext = extras?.ext;
  const extended = staleUntil !== 0 || (ext !== undefined && ext.byteLength > 0);
  const empty = value === undefined || value === null;
  const payload = empty ? undefined : codec.encode(value);
  const head = extended ? X_HEADER + (ext?.byteLength ?? 0) : HEADER;
  const out = Buffer.allocUnsafe(head + (payload?.byteLength ?? 0));
  out[0] = kindOf(value, extended);
  out.writeDoubleBE(freshUntil, 1);
  if (extended) {
    out.writeDoubleBE(staleUntil, 9);
    out.writeUInt32BE(ext?.byteLength ?? 0, 17);
    if (ext !== undefined) out.set(ext, X_HEADER);
  }
  if (payload !== undefined) out.set(payload, head);
  return out;
}

function kindOf(value: unknown, extended: boolean): number {
  if (value === null) return extended ? X_NULL : NULL;
  if (value === undefined) return extended ? X_UNDEFINED : UNDEFINED;
  return extended ? X_VALUE : VALUE;
}

/** Whether `bytes` are a cache entry (and not something else stored under the key). */
export function isEntry(bytes: Buffer): boolean {
  if (bytes.length < HEADER) return false;
  const kind = bytes[0];
  if (kind === VALUE || kind === UNDEFINED || kind === NULL) return bytes.readDoubleBE(1) >= 0;
  if (kind !== X_VALUE && kind !== X_UNDEFINED && kind !== X_NULL) return false;
  return (
    bytes.length >= X_HEADER &&
    bytes.readDoubleBE(1) >= 0 &&
    bytes.readDoubleBE(9) >= 0 &&
    X_HEADER + bytes.readUInt32BE(17) <= bytes.length
  );
}

const isExtended = (bytes: Buffer): boolean => bytes[0]! >= X_VALUE;

/** Epoch ms after which the entry is stale; 0 when it never goes stale. */
export function freshUntil(bytes: Buffer): number {
  return bytes.readDoubleBE(1);
}

/** Epoch ms after which a stale entry may no longer be served; 0: until the store drops it. */
export function staleUntil(bytes: Buffer): number {
  return isExtended(bytes) ? bytes.readDoubleBE(9) : 0;
}

/** The entry's extension bytes (a view, not a copy); undefined when it has none. */
export function entryExt(bytes: Buffer): Buffer | undefined {
  if (!isExtended(bytes)) return undefined;
  const length = bytes.readUInt32BE(17);
  return length === 0 ? undefined : bytes.subarray(X_HEADER, X_HEADER + length);
}

/** A new copy of the entry's value; throws when the codec cannot decode it. */
export function unseal(bytes: Buffer, codec: KvsCodec<unknown>): unknown {
  switch (bytes[0]) {
    case NULL:
    case X_NULL:
      return null;
    case UNDEFINED:
    case X_UNDEFINED:
      return undefined;
    case X_VALUE:
      return codec.decode(bytes.subarray(X_HEADER + bytes.readUInt32BE(17)));
    default:
      return codec.decode(bytes.subarray(HEADER));
  }
}

/** Returned by {@link readEntry} for bytes that are not a cache entry. */
export const NOT_AN_ENTRY = Symbol('not a cache entry');

/** The hit path's read: a new copy of the entry's value, or NOT_AN_ENTRY; throws like `unseal`. */
export function readEntry(bytes: Buffer, codec: KvsCodec<unknown>): unknown {
  return isEntry(bytes) ? unseal(bytes, codec) : NOT_AN_ENTRY;
}
