import { describeValue } from './describe.js';

/** The three ways `forRootAsync` accepts options. */
const SOURCES = ['useFactory', 'useClass', 'useExisting'] as const;

/**
 * Checks that the `forRootAsync` options of `moduleName` (e.g. `'KvsModule'`) are an object that
 * names exactly one source of options. Throws `error(message)` otherwise, so each layer raises
 * its own typed error.
 */
export function assertAsyncOptions(
  moduleName: string,
  options: unknown,
  error: (message: string) => Error,
): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw error(
      `Invalid ${moduleName}.forRootAsync options: expected an object such as { useFactory, inject }, got ${describeValue(options)}.`,
    );
  }
  const given = options as Partial<Record<(typeof SOURCES)[number], unknown>>;
  const sources = SOURCES.filter((k) => given[k] !== undefined);
  if (sources.length !== 1) {
    throw error(
      `${moduleName}.forRootAsync needs exactly one of useFactory, useClass or useExisting, got ${sources.length === 0 ? 'none' : sources.join(' and ')}.`,
    );
  }
}
