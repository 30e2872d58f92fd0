import ms from 'ms';
import { describeValue } from './describe.js';

/** A unit of a {@link DurationString}. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

/** A human duration such as `'30s'`, `'5m'`, `'1.5h'` or `'1 d'`; a typo in the unit does not compile. */
export type DurationString = `${number}${DurationUnit}` | `${number} ${DurationUnit}`;

/**
 * A duration option: a number of milliseconds, or a {@link DurationString}. Strings are parsed by
 * the `ms` package (which also accepts long forms such as `'5 minutes'` from plain JavaScript).
 */
export type Duration = number | DurationString;

/**
 * `value` in milliseconds, or undefined when it is neither a number nor a string `ms` can parse.
 * Range checks (positive, whole, at most ...) stay with the caller, which knows the option.
 */
export function toMilliseconds(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || value.length === 0 || value.length > 32) return undefined;
  let parsed: number | undefined;
  try {
    parsed = ms(value as ms.StringValue);
  } catch {
    return undefined; // its message quotes the value
  }
  return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * `value` in milliseconds, checked to be a finite number > 0 (or >= 0 with `allowZero`); throws
 * `error(message)` naming `option` and the accepted forms otherwise.
 */
export function durationOption(
  option: string,
  value: unknown,
  error: (message: string) => Error,
  { allowZero = false }: { allowZero?: boolean } = {},
): number {
  const parsed = toMilliseconds(value);
  if (parsed === undefined || !(allowZero ? parsed >= 0 : parsed > 0)) {
    throw error(
      `Invalid ${option}: expected a duration ${allowZero ? '>= 0' : '> 0'}, as milliseconds (60000) or a string such as '30s', '5m', '1h' or '1d', got ${describeValue(value)}.`,
    );
  }
  return parsed;
}

/** Where a {@link warnShortDuration} line goes: Nest's `Logger` or a module's own `logger` option. */
export interface WarnSink {
  warn(message: string): unknown;
}

const warnedShort = new Set<string>();

/**
 * Logs once per option and value that a number under 1000 given for `option` (e.g. `'a rate-limit
 * window'`) is milliseconds, which is seldom what was meant (`ttl: 60` is 60 ms, not a minute).
 * Strings never warn: `'60ms'` says milliseconds are intended. 0 and non-numbers are ignored.
 */
export function warnShortDuration(option: string, value: unknown, sink: WarnSink): void {
  if (typeof value !== 'number' || !(value > 0 && value < 1000)) return;
  const message =
    `${option} of ${value} (a number) is ${value} ms. If you meant seconds, write '${value}s'; ` +
    `if you meant milliseconds, write '${value}ms' and this warning goes away.`;
  if (warnedShort.has(message)) return;
  warnedShort.add(message);
  sink.warn(message);
}
