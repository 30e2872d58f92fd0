/** `err` itself when it is an Error, else an Error whose message is `String(err)`. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
