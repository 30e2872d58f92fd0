/** The soak's traffic: loops that write, read, and (when present) hit cached and limited routes. */

export interface Counts {
  ok: number;
  failed: number;
}

export interface Report {
  kinds: Record<string, Counts>;
  /** Keys whose write the app acknowledged (204), with the value written last. */
  acknowledged: Map<string, string>;
  firstFailure?: number;
  lastFailure?: number;
}

type Operation = (base: string, loop: number, n: number, report: Report) => Promise<boolean>;

const OPERATIONS: Record<string, Operation> = {
  async write(base, loop, n, report) {
    const key = `w:${loop}:${n % 500}`;
    const value = String(n);
    const res = await fetch(`${base}/kv/${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
      signal: AbortSignal.timeout(3000),
    });
    if (res.status !== 204) return false;
    report.acknowledged.set(key, value);
    return true;
  },
  async cached(base, loop, n) {
    const res = await fetch(`${base}/cached/${(loop * 7 + n) % 200}`, {
      signal: AbortSignal.timeout(3000),
    });
    await res.arrayBuffer();
    return res.status === 200;
  },
  async limited(base) {
    const res = await fetch(`${base}/limited`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status === 200;
  },
  async read(base, loop, n) {
    const res = await fetch(`${base}/kv/w:${loop}:${(n - 1) % 500}`, {
      signal: AbortSignal.timeout(3000),
    });
    await res.arrayBuffer();
    return res.status === 200 || res.status === 404;
  },
};

/** Starts `loops` loops over the apps at `bases`; `stop()` ends them and returns the report. */
export function traffic(bases: string[], loops = 16): { stop(): Promise<Report> } {
  const report: Report = { kinds: {}, acknowledged: new Map() };
  for (const kind of Object.keys(OPERATIONS)) report.kinds[kind] = { ok: 0, failed: 0 };
  let running = true;
  const run = async (loop: number) => {
    for (let n = 1; running; n++) {
      const base = bases[n % bases.length]!;
      for (const [kind, operation] of Object.entries(OPERATIONS)) {
        const ok = await operation(base, loop, n, report).catch(() => false);
        const counts = report.kinds[kind]!;
        if (ok) counts.ok++;
        else {
          counts.failed++;
          report.firstFailure ??= Date.now();
          report.lastFailure = Date.now();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    }
  };
  const all = Array.from({ length: loops }, (_, loop) => run(loop));
  return {
    async stop() {
      running = false;
      await Promise.all(all);
      return report;
    },
  };
}
