/**
 * The built package (dist/esm and dist/cjs, built here as `npm pack` would) in child processes:
 * with @opentelemetry/api made unresolvable by a resolver hook (test/fixtures/otel-absent), caching
 * and rate limiting work unchanged and nothing tries to use the API; with it and an SDK, the same
 * scenario reports its cache lookups, through either build.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = join(root, 'test', 'fixtures', 'otel-absent');

beforeAll(async () => {
  await run(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root });
}, 300_000);

/** Runs the scenario of `app` (app.mjs: ESM build, app.cjs: CJS build) and parses its report. */
async function scenario(app: string, options: { blocked: boolean }) {
  const args = options.blocked ? ['--import', './block-otel.mjs', app, root] : [app, root, 'sdk'];
  const { stdout } = await run(process.execPath, args, { cwd: fixture, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

const WORKS = { found: [{ id: '1' }, { id: '1' }], runs: 1, hits: 1, allowed: [true, false] };

describe.each(['app.mjs', 'app.cjs'])('the built package from %s', (app) => {
  it('works unchanged without @opentelemetry/api', async () => {
    const report = await scenario(app, { blocked: true });
    expect(report).toEqual({ ...WORKS, apiLoaded: false, importable: false });
  }, 60_000);

  it('reports its metrics when the API and an SDK are there', async () => {
    const report = await scenario(app, { blocked: false });
    expect(report).toMatchObject({ ...WORKS, apiLoaded: true, importable: true });
    expect((report.lookups as [string, number][]).sort()).toEqual([
      ['hit', 1],
      ['miss', 1],
    ]);
  }, 60_000);
});
