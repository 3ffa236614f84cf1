import { resolve } from 'node:path';
import type { Config } from 'jest';

// The spike's own Jest config: @platformatic/kafka ships ES modules only, so (unlike the main
// config) it is transformed to CommonJS by swc like our sources. Spike specs use their own
// suffixes so the main `npm test` never picks them up:
//   npx jest -c libs/kafka/src/spike-platformatic/jest.config.ts [file]
const shared = {
  rootDir: resolve(__dirname, '../../../..'),
  testEnvironment: 'node',
  transform: { '^.+\\.(ts|js)$': '@swc/jest' },
  transformIgnorePatterns: ['/node_modules/(?!(@platformatic)/)'],
  moduleNameMapper: { '^@app/(.*)$': '<rootDir>/libs/$1/src' },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.local/'],
} satisfies Config;

const config: Config = {
  rootDir: resolve(__dirname, '../../../..'),
  projects: [
    {
      ...shared,
      displayName: 'spike-unit',
      testMatch: ['<rootDir>/libs/kafka/src/spike-platformatic/**/*.spike-spec.ts'],
    },
    {
      ...shared,
      displayName: 'spike-integration',
      testMatch: ['<rootDir>/libs/kafka/src/spike-platformatic/**/*.spike-int-spec.ts'],
      globalSetup: '<rootDir>/test/infra/global-setup.ts',
      globalTeardown: '<rootDir>/test/infra/global-teardown.ts',
      slowTestThreshold: 60,
    },
  ],
  maxWorkers: 1,
  testTimeout: 120_000,
  forceExit: true,
};

export default config;
