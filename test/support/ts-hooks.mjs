/**
 * Node module hooks that run this repository's TypeScript directly, for the few checks that must
 * run in a plain Node process instead of Jest: @nestjs/throttler 6 is CommonJS and require()s
 * Nest 12, which is ESM only; Node >= 20.19 allows that, Jest's module system (before Node 24.9)
 * does not. Each .ts file is transpiled on its own (the repo uses isolatedModules), no type check.
 *
 *   node --import ./test/support/ts-register.mjs some-file.ts
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

const ts = createRequire(import.meta.url)('typescript');

const compilerOptions = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  sourceMap: false,
  inlineSourceMap: true,
};

/** `./x.js` imported from a .ts file means `./x.ts` (TypeScript's ESM convention). */
export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const fromTs = context.parentURL?.endsWith('.ts') === true;
    if (!fromTs || !specifier.startsWith('.') || !specifier.endsWith('.js')) throw err;
    return nextResolve(specifier.slice(0, -3) + '.ts', context);
  }
}

/** Transpiles .ts files to ES modules. */
export async function load(url, context, nextLoad) {
  if (!url.endsWith('.ts')) return nextLoad(url, context);
  const source = await readFile(new URL(url), 'utf8');
  const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: url });
  return { format: 'module', source: outputText, shortCircuit: true };
}
