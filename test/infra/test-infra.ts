import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { withClient } from '../../libs/database/src/transaction';
import { LocalKafkaCluster, waitUntilKafkaReady } from '../../tools/local-infra/kafka-cluster';
import { readHandle } from './infra-handle';

const execFileAsync = promisify(execFile);

/** Helpers for integration and e2e tests; the infrastructure itself comes from the global setup. */

export function kafkaBrokers(): string[] {
  return readHandle().kafkaBrokers;
}

/** A name no other test (or earlier run) uses, valid as a Kafka topic and a PostgreSQL identifier. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh database of its own for one test file (on `adminUrl`'s server, the shared one by default). */
export async function createTestDatabase(
  prefix = 'test',
  adminUrl = readHandle().databaseAdminUrl,
): Promise<TestDatabase> {
  const name = uniqueName(prefix).toLowerCase();
  await withClient(adminUrl, async (client) => {
    await client.query(`CREATE DATABASE "${name}"`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () =>
      withClient(adminUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}

export interface BrokerControl {
  /** SIGTERM is a controlled shutdown; SIGKILL a crash. */
  stopBroker(id: number, signal?: NodeJS.Signals): Promise<void>;
  startBroker(id: number): Promise<void>;
  /** All brokers back and every partition fully in sync. */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
}

/** Fault tests stop and start brokers; a cluster given from outside cannot be controlled. */
export function brokerControl(): BrokerControl {
  const { brokerControl: spec, kafkaBrokers: brokers } = readHandle();
  if (!spec) {
    throw new Error(
      'This test stops brokers: run it against the local launcher or TEST_INFRA=testcontainers, not TEST_KAFKA_BROKERS',
    );
  }
  if (spec.kind === 'local') {
    const cluster = new LocalKafkaCluster({ dataDir: spec.dataDir, portBase: spec.portBase });
    return {
      stopBroker: (id, signal = 'SIGTERM') => cluster.stopNode(id, { signal }),
      startBroker: (id) => cluster.startNode(id),
      waitUntilHealthy: (timeoutMs = 120_000) => cluster.waitUntilReady({ timeoutMs }),
    };
  }
  const docker = (...args: string[]) => execFileAsync('docker', args).then(() => undefined);
  return {
    stopBroker: (id, signal = 'SIGTERM') =>
      signal === 'SIGKILL'
        ? docker('kill', spec.containerIds[id])
        : docker('stop', spec.containerIds[id]),
    startBroker: (id) => docker('start', spec.containerIds[id]),
    waitUntilHealthy: (timeoutMs = 120_000) =>
      waitUntilKafkaReady(brokers, {
        timeoutMs,
        brokerCount: Object.keys(spec.containerIds).length,
      }),
  };
}
