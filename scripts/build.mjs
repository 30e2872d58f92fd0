#!/usr/bin/env node
/**
 * Builds the dual package: ES modules to dist/esm, CommonJS to dist/cjs.
 *
 *   node scripts/build.mjs
 *
 * dist/cjs gets its own package.json ({"type": "commonjs"}) so Node and TypeScript read the
 * .js/.d.ts files there as CommonJS, although the root package.json says "type": "module".
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** Runs `tsc -p project`; resolves to true on success. tsc prints its own diagnostics. */
function compile(project) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
    child.on('error', (error) => {
      console.error(`build: could not start tsc for ${project}: ${error.message}`);
      resolve(false);
    });
    child.on('close', (code, signal) => {
      if (code === 0) console.log(`build: ${project} (${Date.now() - started} ms)`);
      else console.error(`build: tsc -p ${project} failed (${signal ?? `exit ${code}`}).`);
      resolve(code === 0);
    });
  });
}

rmSync(dist, { recursive: true, force: true });
// The two compilations are independent (separate outDirs), so run them side by side.
const results = await Promise.all([
  compile('tsconfig.build.json'),
  compile('tsconfig.build.cjs.json'),
]);
if (results.includes(false)) {
  process.exitCode = 1;
} else {
  mkdirSync(join(dist, 'cjs'), { recursive: true });
  writeFileSync(
    join(dist, 'cjs', 'package.json'),
    `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`,
  );
  console.log('build: done (dist/esm, dist/cjs, dist/cjs/package.json)');
}
