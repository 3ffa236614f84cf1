import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { withClient } from '@app/database';
import { provisionKafkaAs, type KafkaProvisioning } from '../../tools/kafka/provision';
import { LocalKafkaCluster, waitUntilKafkaReady } from '../../tools/local-infra/kafka-cluster';
import { waitFor } from '../../tools/local-infra/wait-for';
import {
  APP_PRINCIPALS,
  readCredentials,
  scramSasl,
  type KafkaCredential,
} from '../../tools/local-infra/kafka-credentials';
import { readHandle } from './infra-handle';

const execFileAsync = promisify(execFile);

/** Helpers for integration and e2e tests; the infrastructure itself comes from the global setup. */

export function kafkaBrokers(): string[] {
  return readHandle().kafkaBrokers;
}

/** The test cluster's login of `principal` (an app's, or `outsider`), or its super user's. */
export function kafkaCredential(principal = 'superUser'): KafkaCredential {
  const credentials = readCredentials(readHandle().kafkaCredentialsFile);
  const credential =
    principal === 'superUser' ? credentials.superUser : credentials.principals[principal];
  if (!credential) throw new Error(`the test cluster has no Kafka principal ${principal}`);
  return credential;
}

/** kafkajs's login as the super user: tests arrange and inspect the cluster with it. */
export function kafkaSuperUserSasl(): SASLOptions {
  return scramSasl(kafkaCredential());
}

/** A kafkajs client of the test cluster, logged in as the super user unless `config` says otherwise. */
export function testKafka(config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    brokers: kafkaBrokers(),
    sasl: kafkaSuperUserSasl(),
    logLevel: logLevel.NOTHING,
    ...config,
  });
}

export type KafkaApp = keyof typeof APP_PRINCIPALS;

/**
 * The Kafka part of an app's environment, as in the suite: provisioning (as the super user)
 * creates the app's topic and DLQ and grants the app's principal its ACLs on them and on
 * `projectorGroup`; the app then logs in as its own principal.
 */
export async function appKafkaEnv(
  app: KafkaApp,
  provisioning: {
    topic: string;
    partitions?: number;
    projectorGroup?: string;
    /** false: grant the ACLs only, on topics the test created its own way. */
    createTopics?: boolean;
  },
): Promise<Record<string, string>> {
  const plan: KafkaProvisioning = {
    orderEvents: {
      ORDER_EVENTS_TOPIC: provisioning.topic,
      ORDER_EVENTS_PARTITIONS: provisioning.partitions ?? 6,
    },
    projectorGroup: provisioning.projectorGroup ?? 'order-view-projector',
    createTopics: provisioning.createTopics,
  };
  await provisionKafkaAs(kafkaBrokers(), kafkaSuperUserSasl(), plan);
  const { username, password } = kafkaCredential(APP_PRINCIPALS[app]);
  return {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD: password,
    ORDER_EVENTS_TOPIC: plan.orderEvents.ORDER_EVENTS_TOPIC,
    ORDER_EVENTS_PARTITIONS: String(plan.orderEvents.ORDER_EVENTS_PARTITIONS),
  };
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
        // A pool's end() resolves once it has asked its connections to close, not once they
        // have. A backend that has not yet read its Terminate when DROP ... WITH (FORCE) signals
        // it answers FATAL 57P01 to its client, and a test's pool without an 'error' listener
        // turns that into an uncaught error that fails the whole file. So the closing
        // connections get their time first; only what is still open after that is forced.
        await waitFor(
          async () => {
            const { rows } = await client.query<{ open: number }>(
              `SELECT count(*)::int AS open FROM pg_stat_activity
                WHERE datname = $1 AND backend_type = 'client backend'`,
              [name],
            );
            return rows[0].open === 0;
          },
          { timeoutMs: 5_000, intervalMs: 20, description: `${name}'s connections to close` },
        ).catch(() => undefined);
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
  const sasl = kafkaSuperUserSasl();
  if (!spec) {
    throw new Error(
      'This test stops brokers: run it against the local launcher, not TEST_KAFKA_BROKERS',
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
        sasl,
      }),
  };
}
