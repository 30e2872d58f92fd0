/**
 * Timing loops, interleaved rounds, medians and markdown tables shared by every bench section.
 *
 * Method: each contender/operation pair is a "runner" that performs one timed run and reports how
 * many operations it completed in how many milliseconds. `interleave` warms every runner up, then
 * runs `rounds` rounds; within a round each operation is measured for every contender, in an order
 * shuffled afresh each round (fixed seed), so slow drifts of the machine (thermal, other processes)
 * and any after-effect of one contender on the next hit every contender alike. The reported figure is the median of
 * the per-round ops/s. Each run also records the CPU time this process spent per operation, which
 * on a shared machine is steadier than throughput and, for Redis, isolates the client's own cost.
 */

/** One timed run. */
export interface Sample {
  ops: number;
  ms: number;
}

/** Performs one timed run. */
export type Runner = () => Promise<Sample>;

/** Something being compared: its name and one runner per operation (e.g. `get`, `set`). */
export interface Contender {
  name: string;
  runners: Record<string, Runner>;
  /** Shown under the table (what exactly this contender is). */
  note?: string;
}

/** One timed run, as rates: operations per second of wall time, CPU microseconds per operation. */
export interface Rate {
  opsPerSec: number;
  /** CPU time of this process (user + system) per operation; another process's (redis-server) is not included. */
  cpuMicros: number;
}

/** Per operation, per contender name: the rate of each round, in round order. */
export type Samples = Map<string, Map<string, Rate[]>>;

export interface InterleaveOptions {
  rounds: number;
  /** Untimed runs of every runner before the first round. */
  warmupRuns: number;
  /** Called after each timed run (for progress output). */
  onRun?: (op: string, contender: string, round: number, rate: Rate) => void;
}

/** Runs every runner once per round, in a shuffled order, for `rounds` rounds; see the file comment. */
export async function interleave(
  contenders: readonly Contender[],
  ops: readonly string[],
  options: InterleaveOptions,
): Promise<Samples> {
  const samples: Samples = new Map(
    ops.map((op) => [op, new Map(contenders.map((c) => [c.name, [] as Rate[]]))]),
  );
  for (let w = 0; w < options.warmupRuns; w++) {
    for (const op of ops) for (const c of contenders) await timed(c, op);
  }
  const random = xorshift(0x9e3779b9);
  for (let round = 0; round < options.rounds; round++) {
    const order = shuffled(contenders, random);
    for (const op of ops) {
      for (const c of order) {
        const rate = await timed(c, op);
        samples.get(op)!.get(c.name)!.push(rate);
        options.onRun?.(op, c.name, round, rate);
      }
    }
  }
  return samples;
}

/** A copy of `items` in random order (Fisher–Yates). */
function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A small deterministic PRNG (xorshift32) in [0, 1), so runs are reproducible. */
function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

async function timed(contender: Contender, op: string): Promise<Rate> {
  const runner = contender.runners[op];
  if (runner === undefined) throw new Error(`${contender.name} has no runner for ${op}`);
  collectGarbage();
  const cpu = process.cpuUsage();
  const { ops, ms } = await runner();
  const { user, system } = process.cpuUsage(cpu);
  return { opsPerSec: (ops * 1000) / ms, cpuMicros: (user + system) / ops };
}

/** A full GC before each run when node runs with --expose-gc, so no run pays for another's garbage. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Awaits `op(i)` one call after the other (i = 0, 1, 2, ...) for at least `durationMs`, checking
 * the clock every `chunk` calls. Models a request handler awaiting the store on its hot path.
 */
export async function sequentialLoop(
  op: (i: number) => Promise<unknown>,
  durationMs: number,
  chunk = 1024,
): Promise<Sample> {
  let done = 0;
  const start = performance.now();
  for (;;) {
    const end = done + chunk;
    for (let i = done; i < end; i++) await op(i);
    done = end;
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs) return { ops: done, ms: elapsed };
  }
}

/**
 * Runs exactly `totalOps` calls of `op(i)` from `concurrency` callers; each caller awaits its
 * call before taking the next index. Models many concurrent requests sharing one store.
 */
export async function concurrentLoop(
  op: (i: number) => Promise<unknown>,
  totalOps: number,
  concurrency: number,
): Promise<Sample> {
  let next = 0;
  const caller = async (): Promise<void> => {
    while (next < totalOps) await op(next++);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { ops: totalOps, ms: performance.now() - start };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** 1234567 -> "1,234,567". */
export function formatOps(opsPerSec: number): string {
  return Math.round(opsPerSec).toLocaleString('en-US');
}

export function formatRatio(ratio: number): string {
  return `${ratio.toFixed(2)}x`;
}

/** A performance target: `contender` must reach `min` times `peer` on `op`. */
export interface Target {
  op: string;
  contender: string;
  peer: string;
  min: number;
}

/** A target checked against the medians. */
export interface Check extends Target {
  section: string;
  /** Median ops/s of the contender divided by the peer's (what the tables show); decides `ok`. */
  ratio: number;
  /** Median over the rounds of contender/peer within the same round: less sensitive to drift. */
  pairedRatio: number;
  ok: boolean;
}

/** The median ops/s of `samples[op]`, by contender name. */
export function medians(samples: Samples, op: string): Map<string, number> {
  return new Map(
    [...rounds(samples, op)].map(([name, rates]) => [name, median(rates.map((r) => r.opsPerSec))]),
  );
}

function rounds(samples: Samples, op: string): Map<string, Rate[]> {
  const byContender = samples.get(op);
  if (byContender === undefined) throw new Error(`no samples for ${op}`);
  return byContender;
}

/**
 * A markdown table for one operation: contender, median ops/s, min–max over the rounds, and the
 * ratio of each contender's median to each peer's median.
 */
export function markdownTable(
  samples: Samples,
  op: string,
  contenders: readonly Contender[],
  peers: readonly string[],
): string {
  const rates = rounds(samples, op);
  const mid = medians(samples, op);
  const header = [
    'Contender',
    'ops/s (median)',
    'min – max',
    'CPU µs/op',
    ...peers.map((p) => `vs ${p}`),
  ];
  const rows = contenders.map((c) => {
    const ops = rates.get(c.name)!.map((r) => r.opsPerSec);
    const cpu = median(rates.get(c.name)!.map((r) => r.cpuMicros));
    return [
      c.name,
      formatOps(mid.get(c.name)!),
      `${formatOps(Math.min(...ops))} – ${formatOps(Math.max(...ops))}`,
      cpu < 1 ? cpu.toFixed(3) : cpu.toFixed(2),
      ...peers.map((p) => (p === c.name ? '—' : formatRatio(mid.get(c.name)! / mid.get(p)!))),
    ];
  });
  const align = ['---', ...header.slice(1).map(() => '---:')];
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** Checks `targets` against the medians of `samples`. */
export function checkTargets(
  section: string,
  samples: Samples,
  targets: readonly Target[],
): Check[] {
  return targets.map((t) => {
    const mid = medians(samples, t.op);
    const ratio = mid.get(t.contender)! / mid.get(t.peer)!;
    const ours = rounds(samples, t.op).get(t.contender)!;
    const theirs = rounds(samples, t.op).get(t.peer)!;
    const pairedRatio = median(ours.map((r, i) => r.opsPerSec / theirs[i]!.opsPerSec));
    return { ...t, section, ratio, pairedRatio, ok: ratio >= t.min };
  });
}

/** Markdown list of checked targets. */
export function formatChecks(checks: readonly Check[]): string {
  return checks
    .map(
      (c) =>
        `- ${c.ok ? 'PASS' : 'MISS'}: ${c.op} — ${c.contender} at ${formatRatio(c.ratio)} of ${c.peer} ` +
        `(target >= ${formatRatio(c.min)}; per-round paired ratio, median: ${formatRatio(c.pairedRatio)})`,
    )
    .join('\n');
}

/**
 * Runs `op(i)` from `concurrency` callers for at least `durationMs`; each caller awaits its call
 * before taking the next index. Like `concurrentLoop`, for operations whose rate is not known in
 * advance (a run of a fixed count would be far too short for the fast ones).
 */
export async function concurrentLoopFor(
  op: (i: number) => Promise<unknown>,
  durationMs: number,
  concurrency: number,
  chunk = 256,
): Promise<Sample> {
  let next = 0;
  let stop = false;
  const start = performance.now();
  const caller = async (): Promise<void> => {
    while (!stop) {
      for (let n = 0; n < chunk; n++) await op(next++);
      if (performance.now() - start >= durationMs) stop = true;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { ops: next, ms: performance.now() - start };
}
