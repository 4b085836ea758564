/** Jest: unit tests (`*.test.ts`) and integration tests on real Redis and the simulators (`*.int.test.ts`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type-checking is done once by `npm run typecheck`; tests only transpile.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  testTimeout: 30000,
  maxWorkers: 2,
};
