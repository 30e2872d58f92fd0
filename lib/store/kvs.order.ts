/** Orders keys by UTF-16 code units: the order `list` returns on every backend. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
