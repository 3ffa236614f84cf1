/**
 * What the global setup hands to integration and e2e tests, through environment variables
 * (Jest starts test workers after the global setup, so they inherit them).
 */
export interface TestInfraHandle {
  kafkaBrokers: string[];
  /**
   * The cluster's SCRAM logins (super user, app principals, an ACL-less `outsider`), kept in a
   * file (mode 0600) rather than in this handle's environment variable, which child processes
   * inherit.
   */
  kafkaCredentialsFile: string;
  /** Superuser URL; tests create their own database from it. */
  databaseAdminUrl: string;
  /** How tests stop and start brokers; absent for a cluster given from outside. */
  brokerControl?: BrokerControlSpec;
}

export type BrokerControlSpec =
  | { kind: 'local'; dataDir: string; portBase: number }
  | { kind: 'docker'; containerIds: Record<number, string> };

const ENV_KEY = 'ORDER_LEDGER_TEST_INFRA';

export function publishHandle(handle: TestInfraHandle): void {
  process.env[ENV_KEY] = JSON.stringify(handle);
}

export function readHandle(): TestInfraHandle {
  const raw = process.env[ENV_KEY];
  if (!raw) {
    throw new Error(
      `${ENV_KEY} is not set: integration and e2e tests run through jest's integration/e2e projects`,
    );
  }
  return JSON.parse(raw) as TestInfraHandle;
}
