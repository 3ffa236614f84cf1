import type { Config } from 'jest';

// One project per test tier. Integration and e2e tests share one Kafka cluster and one
// PostgreSQL server, started once by the global setup (see test/infra/global-setup.ts).
const shared = {
  rootDir: '.',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': '@swc/jest',
    // @nestjs/typeorm ships ES modules only; Node requires them (require(esm)), Jest cannot, so
    // it gets them as CommonJS like the tests' own code.
    '/node_modules/@nestjs/typeorm/.+\\.js$': '@swc/jest',
  },
  transformIgnorePatterns: ['/node_modules/(?!@nestjs/typeorm/)'],
  moduleNameMapper: { '^@app/(.*)$': '<rootDir>/libs/$1/src' },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.local/'],
} satisfies Config;

const config: Config = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/infra/global-setup.ts',
      globalTeardown: '<rootDir>/test/infra/global-teardown.ts',
      slowTestThreshold: 60,
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/infra/global-setup.ts',
      globalTeardown: '<rootDir>/test/infra/global-teardown.ts',
      slowTestThreshold: 60,
    },
  ],
  // Tests that stop brokers share the cluster with everything else, so files run one at a time.
  maxWorkers: 1,
  testTimeout: 120_000,
  // A handle some integration test leaves open (a kafkajs client retrying a cluster the global
  // teardown stopped) must not keep `npm test` and CI waiting once every test has finished.
  forceExit: true,
};

export default config;
