/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  // sharedb's shipped conformance suite requires chai; chai >= 5 is ESM-only, which jest on Node 20 cannot require.
  moduleNameMapper: { '^chai$': 'chai-cjs' },
  setupFiles: ['<rootDir>/tests/setup.js'],
  testTimeout: 30000,
  // Integration and e2e suites start real server processes; two workers keep a 2-core machine honest.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/tests/summary-reporter.js'],
};
