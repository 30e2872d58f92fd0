/** Polling with a deadline (never fixed sleeps), and `INFO` parsing. */
import { errorText, sleep } from './env.js';

/** Parse `INFO` output into a flat key → value map. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/**
 * Poll `check` until it returns true (or a truthy non-boolean value), with an
 * overall deadline.  `check` may throw; the last error / description is
 * reported on timeout.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | false | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; describe?: () => string | Promise<string> },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (;;) {
    try {
      const r = await check();
      if (r !== false && r !== undefined) return r;
    } catch (e) {
      last = errorText(e);
    }
    if (Date.now() >= deadline) {
      let extra = '';
      if (opts.describe !== undefined) {
        try {
          extra = await opts.describe();
        } catch (e) {
          extra = `(describe failed: ${errorText(e)})`;
        }
      }
      throw new Error(
        `Timed out after ${opts.timeoutMs} ms waiting for ${what}` +
          (last !== '' ? `\nlast error: ${last}` : '') +
          (extra !== '' ? `\n${extra}` : ''),
      );
    }
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Poll `problems` (every 100 ms) until it reports none (''); on timeout the last report is shown. */
export async function waitForNoProblems(
  what: string,
  problems: () => Promise<string>,
  timeoutMs: number,
): Promise<void> {
  let last = '';
  await waitUntil(
    what,
    async () => {
      last = await problems();
      return last === '';
    },
    { timeoutMs, intervalMs: 100, describe: () => `problems:\n${last}` },
  );
}
