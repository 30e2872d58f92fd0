/**
 * Runs the benchmark sections, prints a markdown report and writes it to bench/RESULTS.md.
 *
 *   npm run bench                      every section
 *   npm run bench -- redis             only the named section(s): memory, redis, cache, batch,
 *                                      local, rate-limit, rate-limit-flood, telemetry
 *   npm run bench -- --rounds 15       more rounds (default 9)
 *   npm run bench -- --quick           a short smoke run of the bench itself (figures not meaningful)
 *   npm run bench -- --no-write        print only, leave RESULTS.md alone
 *
 * To add a section, write a `BenchSection` (see bench/lib/section.ts) and list it in SECTIONS.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Check } from './lib/measure.js';
import { formatChecks } from './lib/measure.js';
import type { BenchSection } from './lib/section.js';
import { batchBench } from './cache.batch.bench.js';
import { cacheBench } from './cache.bench.js';
import { localBench } from './cache.local.bench.js';
import { rateLimitBench } from './rate-limit.bench.js';
import { rateLimitFloodBench } from './rate-limit.flood.bench.js';
import { memoryStoreBench } from './store.memory.bench.js';
import { redisStoreBench } from './store.redis.bench.js';
import { telemetryBench } from './telemetry.bench.js';

const SECTIONS: BenchSection[] = [
  memoryStoreBench,
  redisStoreBench,
  cacheBench,
  batchBench,
  localBench,
  rateLimitBench,
  rateLimitFloodBench,
  telemetryBench,
];

/** bench/RESULTS.md, whatever the working directory (this file runs from .tmp/bench/bench/). */
const RESULTS = fileURLToPath(new URL('../../../bench/RESULTS.md', import.meta.url));
const COMMAND =
  'npm run bench (tsc -p bench/tsconfig.json && node --expose-gc .tmp/bench/bench/run.js)';

interface Args {
  sections: BenchSection[];
  rounds: number;
  quick: boolean;
  write: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const names: string[] = [];
  let rounds: number | undefined;
  let quick = false;
  let write = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--no-write') write = false;
    else if (arg === '--rounds') rounds = Number(argv[++i]);
    else if (arg.startsWith('--rounds=')) rounds = Number(arg.slice('--rounds='.length));
    else if (arg === '--help' || arg === '-h') usage(0);
    else if (arg.startsWith('-')) usage(1, `unknown option ${arg}`);
    else names.push(arg);
  }
  const unknown = names.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length > 0) usage(1, `unknown section(s): ${unknown.join(', ')}`);
  rounds ??= quick ? 2 : 9;
  if (!Number.isSafeInteger(rounds) || rounds < 1) usage(1, '--rounds needs a whole number >= 1');
  const sections = names.length === 0 ? SECTIONS : SECTIONS.filter((s) => names.includes(s.name));
  return { sections, rounds, quick, write };
}

function usage(code: number, problem?: string): never {
  if (problem) console.error(problem);
  console.error(
    `usage: npm run bench -- [${SECTIONS.map((s) => s.name).join('|')} ...] [--rounds N] [--quick] [--no-write]`,
  );
  process.exit(code);
}

function redisServerVersion(): string | undefined {
  try {
    return execFileSync(process.env.REDIS_SERVER ?? 'redis-server', ['--version'], {
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const log = (message: string): void => void process.stderr.write(`${message}\n`);
  const started = new Date();
  const t0 = performance.now();
  const bodies: string[] = [];
  const checks: Check[] = [];
  const environment: Record<string, string> = {};
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    log('note: run node with --expose-gc so each timed run starts from a collected heap');
  }
  for (const section of args.sections) {
    log(`## ${section.title} ...`);
    const report = await section.run({ rounds: args.rounds, quick: args.quick, log });
    const body = `## ${section.title}\n\n${report.markdown}\n`;
    console.log(`${body}`);
    bodies.push(body);
    checks.push(...report.checks);
    Object.assign(environment, report.environment);
  }
  const seconds = (performance.now() - t0) / 1000;

  const cpu = cpus();
  const header = [
    '# nestjs-kvs benchmark results',
    '',
    `- Date: ${started.toISOString()}`,
    `- Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()}`,
    `- Node: ${process.version}`,
    `- Redis: ${environment.Redis ?? redisServerVersion() ?? 'not used'}`,
    `- Command: \`${COMMAND}\`${process.argv.length > 2 ? ` with arguments \`${process.argv.slice(2).join(' ')}\`` : ''}`,
    `- Sections: ${args.sections.map((s) => s.name).join(', ')}; ${args.rounds} rounds each${args.quick ? ' (QUICK smoke run: figures not meaningful)' : ''}; took ${seconds.toFixed(0)} s`,
    '',
    'Ratios divide median ops/s (higher is better). "CPU µs/op" is the CPU time (user + system) the bench process',
    'spent per operation, median over the rounds: it excludes redis-server and is steadier than throughput when',
    'other work shares the machine. Both the bench and redis-server run here, so the Redis figures measure client',
    'overhead plus a loopback server sharing the same CPUs, not a production setup.',
    '',
  ].join('\n');
  const summary =
    checks.length === 0
      ? ''
      : `## Targets\n\n${formatChecks(checks.map((c) => ({ ...c, op: `${c.section} ${c.op}` })))}\n`;
  console.log(summary);
  const document = `${header}\n${summary}\n${bodies.join('\n')}`;
  if (args.write) {
    writeFileSync(RESULTS, document);
    log(`wrote ${RESULTS} in ${seconds.toFixed(0)} s`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
