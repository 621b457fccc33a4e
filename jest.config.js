// The SDK is pinned by the lockfile; its notice about future Node 22 releases is noise in tests.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The 60 s load run has its own script (npm run test:load), called by .ci/run after npm test.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/load/'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(hono|@seriousme)/)'],
  testTimeout: 60000,
  maxWorkers: 2,
};
