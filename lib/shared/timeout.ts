import { toError } from './errors.js';

/**
 * `promise`, or a rejection with `onTimeout()` if it does not settle within `ms`. A rejection of
 * `promise` passes through `onError` (default {@link toError}). `promise` is never left unhandled.
 * One timer per call: where many calls are in flight, use {@link Deadlines} instead.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
  onError: (err: unknown) => Error = toError,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(onError(err));
      },
    );
  });
}
