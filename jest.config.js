/** Jest runs the TypeScript sources as ES modules (Nest 12 is ESM-only). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: [
    '<rootDir>/lib/**/*.spec.ts',
    '<rootDir>/test/**/*.spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
  ],
  // test/fixtures holds whole throwaway apps (with their own specs and package.json files) that
  // only the pack test installs and runs; dist/ is build output.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/fixtures/'],
  modulePathIgnorePatterns: ['<rootDir>/test/fixtures/', '<rootDir>/dist/'],
  // Per test; slow suites (real redis-server processes, the pack test's npm installs) pass their
  // own, larger timeout to `it`/`beforeAll`.
  testTimeout: 30_000,
  // Two workers: the long, mostly I/O-bound pack test runs beside the rest of the suite, while
  // each worker's redis-server children still get a core between them on a 2-core machine.
  maxWorkers: 2,
};
