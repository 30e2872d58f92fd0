import { describeValue } from './describe.js';

/**
 * The option names of an options type, as a record TypeScript keeps complete: adding an option to
 * the interface without listing it here does not compile.
 */
export type OptionNames<T> = Record<keyof Required<T>, true>;

/**
 * Checks that `options` (an object) holds only keys listed in `known`; for an unknown key, throws
 * `error(message)` naming it, the closest known name ("did you mean"), and `hint(key)` where the
 * caller knows better (e.g. "'url' belongs to the Redis store"). Options from plain JavaScript or
 * a variable escape TypeScript's excess-property check; this catches them at startup.
 */
export function assertKnownKeys(
  where: string,
  options: object,
  known: Readonly<Record<string, true>>,
  error: (message: string) => Error,
  hint?: (key: string) => string | undefined,
): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const names = Object.keys(known);
    const extra = hint?.(key);
    const near = closest(key, names);
    const advice =
      extra ??
      (near === undefined ? '' : ` Did you mean '${near}'?`) + ` Known: ${names.join(', ')}.`;
    throw error(
      `Unknown option '${printable(key)}' in ${where}.${extra === undefined ? advice : ` ${extra}`}`,
    );
  }
}

/** An option name as given, unless it is long enough to be data rather than a typo. */
function printable(key: string): string {
  return key.length <= 40 ? key : describeValue(key);
}

/**
 * The known name closest to `key`: the same ignoring case, at most a third of it edited, or one
 * that starts with it (or it with one).
 */
export function closest(key: string, names: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const name of names) {
    if (name.toLowerCase() === lower) return name;
    const d = distance(lower, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  if (best !== undefined || lower.length < 3) return best;
  // A shortened or lengthened name: 'ttl' for 'ttlMs', 'retryAfter' for 'retryAfterSeconds'.
  return names.find((name) => {
    const n = name.toLowerCase();
    return n.startsWith(lower) || lower.startsWith(n);
  });
}

/** Edit distance with adjacent transpositions (optimal string alignment). */
function distance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}
