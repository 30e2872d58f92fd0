/**
 * The README's adapter examples are the code between `// readme: <name>` and `// readme: end` in
 * the adapter tests, dedented. This suite fails when one of them drifts from the README.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8');

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** The marked snippets of `file`, dedented, by name. */
function snippets(file: string): [string, string][] {
  const found: [string, string][] = [];
  const pattern = /^[ \t]*\/\/ readme: (\S+)\n([\s\S]*?)^[ \t]*\/\/ readme: end$/gm;
  for (const [, name, body] of readFileSync(file, 'utf8').matchAll(pattern)) {
    const lines = body!.replace(/\n$/, '').split('\n');
    const indent = Math.min(
      ...lines.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
    );
    found.push([name!, lines.map((l) => l.slice(indent)).join('\n')]);
  }
  return found;
}

const all = sources(here).flatMap(snippets);

describe('README adapter examples', () => {
  it('exist', () => {
    expect(all.map(([name]) => name).sort()).toEqual([
      'keyv-module',
      'keyv-service',
      'session-controller',
      'session-middleware',
      'session-module',
      'terminus',
      'throttler-module',
    ]);
  });

  it.each(all)('%s appears verbatim in README.md', (_name, code) => {
    expect(readme).toContain('```ts\n' + code + '\n```');
  });
});
