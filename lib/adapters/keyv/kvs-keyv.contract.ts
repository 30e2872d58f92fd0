import { KvsInvalidArgumentError } from '../../store/index.js';

/**
 * The Keyv major whose storage-adapter contract the adapter follows:
 *
 * - `5`: Keyv prefixes keys with `<namespace>:` itself, `set` gets a relative TTL in ms,
 *   `deleteMany` answers one boolean, `iterator(namespace)` yields namespaced keys.
 * - `6`: Keyv hands over bare keys and sets `adapter.namespace`, `set` gets an absolute expiry
 *   (Unix ms), `deleteMany` answers one boolean per key, `iterator()` yields bare keys.
 */
export type KeyvMajor = 5 | 6;

/** Storage methods the adapter implements, as Keyv 6 lists them in `capabilities`. */
const METHODS = [
  'get',
  'getMany',
  'has',
  'hasMany',
  'set',
  'setMany',
  'delete',
  'deleteMany',
  'clear',
  'disconnect',
  'iterator',
] as const;

/** What Keyv 6 reads from `adapter.capabilities`: `expires: true` means "use me directly". */
export interface KvsKeyvCapabilities {
  readonly compatible: true;
  readonly store: 'keyvStorage';
  readonly methods: Readonly<
    Record<(typeof METHODS)[number], { exists: true; methodType: 'async' }>
  >;
  readonly expires: true;
}

/** The Keyv 6 capability descriptor of this adapter. */
export const CAPABILITIES: KvsKeyvCapabilities = Object.freeze({
  compatible: true,
  store: 'keyvStorage',
  methods: Object.freeze(
    Object.fromEntries(
      METHODS.map((name) => [name, Object.freeze({ exists: true, methodType: 'async' })]),
    ) as KvsKeyvCapabilities['methods'],
  ),
  expires: true,
});

/**
 * Earliest absolute expiry accepted under the Keyv 6 contract (1973-03-03): a smaller number is a
 * relative TTL in ms, i.e. a Keyv 5 driving an adapter built with `{ keyv: 6 }`.
 */
const MIN_EXPIRES = 1e11;

/** Checks the `keyv` option: 5, 6 or omitted (detected). */
export function toMajor(keyv: unknown): KeyvMajor | undefined {
  if (keyv === undefined || keyv === 5 || keyv === 6) return keyv;
  throw new KvsInvalidArgumentError(
    `Invalid KvsKeyvAdapter keyv option: expected 5, 6 or nothing (detected from the Keyv that uses the adapter), got ${typeof keyv === 'number' ? keyv : typeof keyv}.`,
  );
}

/** The error of an adapter that two Keyv majors claim, or that is used before any Keyv has. */
export function contractError(problem: string): KvsInvalidArgumentError {
  return new KvsInvalidArgumentError(
    `KvsKeyvAdapter ${problem}. Give each Keyv instance its own adapter; to call an adapter ` +
      'without Keyv, say which contract it follows: new KvsKeyvAdapter(store, { keyv: 6 }) (or 5).',
  );
}

/**
 * A store TTL in ms (undefined: none; <= 0: already expired) from what Keyv passed to `set`:
 * a relative TTL under Keyv 5 (undefined or 0: none), an absolute expiry under Keyv 6.
 */
export function toTtlMs(major: KeyvMajor, ttlOrExpires: unknown, now: number): number | undefined {
  if (ttlOrExpires === undefined || ttlOrExpires === null) return undefined;
  if (typeof ttlOrExpires !== 'number' || Number.isNaN(ttlOrExpires)) {
    throw new KvsInvalidArgumentError(
      `KvsKeyvAdapter expected ${major === 5 ? 'a TTL in ms' : 'an absolute expiry in Unix ms'}, got ${typeof ttlOrExpires}.`,
    );
  }
  if (major === 5) return ttlOrExpires === 0 ? undefined : ttlOrExpires;
  if (ttlOrExpires === Infinity) return undefined;
  if (ttlOrExpires < MIN_EXPIRES) {
    throw new KvsInvalidArgumentError(
      `KvsKeyvAdapter follows the Keyv 6 contract (an absolute expiry in Unix ms) but got ${ttlOrExpires}, a relative TTL: this adapter is used by Keyv 5. Build it with { keyv: 5 } or leave the keyv option out.`,
    );
  }
  return ttlOrExpires - now;
}
