import type { Check } from './measure.js';

/** How a run of the bench is configured (from the command line). */
export interface BenchContext {
  /** Timed rounds per measurement; medians are taken over them. */
  rounds: number;
  /** Shorter runs, for a smoke test of the bench itself; figures are not meaningful. */
  quick: boolean;
  /** Progress output (stderr), kept out of the report. */
  log: (message: string) => void;
}

/** What a section reports. */
export interface SectionReport {
  /** Markdown, starting below the section's title. */
  markdown: string;
  checks: Check[];
  /** Facts for the report header, e.g. `{ 'Redis': '7.0.15' }`. */
  environment?: Record<string, string>;
}

/** One part of the benchmark (memory store, Redis store, later HTTP caching, rate limiting...). */
export interface BenchSection {
  /** Name used on the command line, e.g. `memory`. */
  name: string;
  title: string;
  run(context: BenchContext): Promise<SectionReport>;
}
