/**
 * Every README example is code that runs: the lines between `// readme: <name>` and
 * `// readme: end` in the sources (tests, the sample, the library), dedented, with relative
 * imports of lib/ written as the package's entry points, must appear verbatim in README.md.
 * One check for the whole repository.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Every `.ts` file under `dir`, fixtures excluded. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The marked snippets of `file`, dedented, as [where, code]. */
function snippets(file: string): [string, string][] {
  const found: [string, string][] = [];
  const pattern = /^[ \t]*\/\/ readme: (\S+)\n([\s\S]*?)^[ \t]*\/\/ readme: end$/gm;
  for (const [, name, body] of readFileSync(file, 'utf8').matchAll(pattern)) {
    const lines = body!.replace(/\n$/, '').split('\n');
    const indent = Math.min(
      ...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
    );
    const code = lines
      .map((l) => l.slice(indent))
      .join('\n')
      .replace(/'(\.\.\/)+lib\/index\.js'/g, "'nestjs-kvs'")
      .replace(/'(\.\.\/)+lib\/(?:adapters\/)?(\w+)\/index\.js'/g, "'nestjs-kvs/$2'");
    found.push([`${relative(root, file)}: ${name!}`, code]);
  }
  return found;
}

const all = ['lib', 'test', 'sample', 'soak', 'bench']
  .flatMap((dir) => sources(join(root, dir)))
  .flatMap(snippets);

describe('README examples', () => {
  it('are marked in the sources', () => {
    expect(all.length).toBeGreaterThan(20);
  });

  it.each(all)('%s appears verbatim in README.md', (_where, code) => {
    expect(readme).toContain(code);
  });
});
