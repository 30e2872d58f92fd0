/**
 * Packed-package compatibility: packs nestjs-kvs exactly as `npm publish` would (the `prepack`
 * script builds dist/), installs the tarball into the throwaway apps under test/fixtures/pack and
 * runs each app's own checks there:
 *
 * - esm-app: Nest 12, "type": "module", Jest in ESM mode, TypeScript 6 (`module: nodenext`);
 * - cjs-app: Nest 11, CommonJS, the classic Nest CLI Jest setup, TypeScript 5 (`module: commonjs`);
 * - node-app: no Nest installed; `nestjs-kvs/store` from a .mjs and a .cjs script.
 *
 * Slow (npm installs; npm's own cache makes repeated runs much faster). Set KVS_PACK_KEEP=1 to keep
 * the temp directory for inspection.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(repoRoot, 'test', 'fixtures', 'pack');

const PACK_TIMEOUT = 180_000;
const APP_TIMEOUT = 240_000;
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline'];

/**
 * The environment for nested npm/node/jest: without the variables `npm test` and Jest set for this
 * run (npm_* lifecycle/config values such as local_prefix, JEST_WORKER_ID, NODE_OPTIONS) and without
 * NODE_ENV (NODE_ENV=production would make `npm install` skip the apps' devDependencies).
 */
function childEnv(): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.toLowerCase().startsWith('npm_') && !keep.has(name.toLowerCase())) continue;
    if (['JEST_WORKER_ID', 'NODE_OPTIONS', 'NODE_ENV'].includes(name)) continue;
    env[name] = value;
  }
  return { ...env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
}

/** Runs a command to completion; rejects with the command, exit status and its output. */
function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(output);
      const status = signal === null ? `exit code ${code}` : `signal ${signal}`;
      reject(
        new Error(`\`${[command, ...args].join(' ')}\` in ${cwd} failed (${status}):\n${output}`),
      );
    });
  });
}

describe('the packed package', () => {
  let workDir: string;
  let tarballFiles: string[];

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'nestjs-kvs-pack-'));
    // `npm pack` runs `prepack` (= npm run build), so this also proves the build works from scratch.
    await run('npm', ['pack', '--pack-destination', workDir], repoRoot);
    const [tarball, ...others] = readdirSync(workDir).filter((f) => f.endsWith('.tgz'));
    if (tarball === undefined || others.length > 0) {
      throw new Error(
        `expected one tarball in ${workDir}, found ${readdirSync(workDir).join(', ')}`,
      );
    }
    // The apps depend on "nestjs-kvs": "file:../nestjs-kvs.tgz".
    renameSync(join(workDir, tarball), join(workDir, 'nestjs-kvs.tgz'));
    tarballFiles = (await run('tar', ['-tzf', 'nestjs-kvs.tgz'], workDir))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.replace(/^package\//, ''));
    for (const app of ['esm-app', 'cjs-app', 'node-app']) {
      cpSync(join(fixtures, app), join(workDir, app), { recursive: true });
    }
  }, PACK_TIMEOUT);

  afterAll(() => {
    if (workDir === undefined) return;
    if (process.env.KVS_PACK_KEEP) console.log(`pack test: kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  });

  it('contains the ESM and CommonJS builds and nothing from the sources or tests', () => {
    expect(tarballFiles).toEqual(
      expect.arrayContaining([
        'package.json',
        'LICENSE',
        'dist/esm/index.js',
        'dist/esm/index.d.ts',
        'dist/esm/store/index.js',
        'dist/esm/store/index.d.ts',
        'dist/cjs/package.json',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/cjs/store/index.js',
        'dist/cjs/store/index.d.ts',
      ]),
    );
    const unexpected = tarballFiles.filter(
      (file) =>
        !/^dist\/(esm|cjs)\//.test(file) &&
        !['package.json', 'LICENSE', 'README.md'].includes(file),
    );
    expect(unexpected).toEqual([]);
    expect(tarballFiles.filter((file) => /\.spec\.|e2e-spec/.test(file))).toEqual([]);
  });

  it.each([
    ['esm-app', 'a Nest 12 ESM app (Jest ESM, TypeScript 6, module nodenext)'],
    ['cjs-app', 'a Nest 11 CommonJS app (classic Nest CLI Jest, TypeScript 5, module commonjs)'],
  ])(
    'works in %s: %s',
    async (dir) => {
      const app = join(workDir, dir);
      await run('npm', NPM_INSTALL, app);
      await run('npm', ['run', 'typecheck'], app);
      const output = await run('npm', ['test'], app);
      expect(output).toMatch(/Tests:\s+4 passed, 4 total/);
    },
    APP_TIMEOUT,
  );

  it(
    'loads nestjs-kvs/store in plain Node without Nest, as ESM and as CommonJS',
    async () => {
      const app = join(workDir, 'node-app');
      // --omit=peer: npm would otherwise install the Nest peer dependencies.
      await run('npm', [...NPM_INSTALL, '--omit=peer'], app);
      expect(await run('node', ['store.mjs'], app)).toContain('works as ESM without Nest');
      expect(await run('node', ['store.cjs'], app)).toContain('works as CommonJS without Nest');
    },
    APP_TIMEOUT,
  );
});
