import { publishHandle, type TestInfraHandle } from './infra-handle';
import { resetTestDataDir, testKafkaCluster, testPostgres } from './local-infra';

type Stop = () => Promise<void>;
const state = globalThis as typeof globalThis & { __orderLedgerInfraStops?: Stop[] };

/**
 * Starts (once, shared by the integration and e2e projects) the Kafka cluster and PostgreSQL the
 * tests run against:
 * - TEST_KAFKA_BROKERS / TEST_DATABASE_URL: use those (no broker control: fault tests refuse);
 *   TEST_KAFKA_CREDENTIALS_FILE then names the cluster's SCRAM logins, in the format the local
 *   launcher writes (tools/local-infra/kafka-credentials.ts);
 * - otherwise the project's own launchers: a 3-node KRaft cluster from the Maven jars and
 *   embedded PostgreSQL.
 */
export default async function globalSetup(): Promise<void> {
  if (state.__orderLedgerInfraStops) return;
  const stops: Stop[] = [];
  state.__orderLedgerInfraStops = stops;
  const started = Date.now();

  if (process.env.TEST_INFRA === 'testcontainers') {
    // Its containers listened in PLAINTEXT; the tests need SCRAM logins and ACLs (issue 13).
    throw new Error('TEST_INFRA=testcontainers is not supported since Kafka requires SASL');
  }

  const givenBrokers = process.env.TEST_KAFKA_BROKERS;
  const givenDatabase = process.env.TEST_DATABASE_URL;
  if (!givenBrokers || !givenDatabase) await resetTestDataDir();

  const handle: Partial<TestInfraHandle> = {};
  const [kafka, postgres] = await Promise.all([
    givenBrokers ? undefined : startLocalKafka(stops),
    givenDatabase ? undefined : startLocalPostgres(stops),
  ]);
  handle.kafkaBrokers = givenBrokers ? givenBrokers.split(',') : kafka!.brokers;
  handle.kafkaCredentialsFile = givenBrokers
    ? requiredEnv('TEST_KAFKA_CREDENTIALS_FILE')
    : kafka!.credentialsFile;
  handle.brokerControl = kafka?.control;
  handle.databaseAdminUrl = givenDatabase ?? postgres!;
  publishHandle(handle as TestInfraHandle);
  console.log(`\n[test-infra] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function startLocalKafka(stops: Stop[]) {
  const cluster = testKafkaCluster();
  stops.push(() => cluster.stop());
  await cluster.start();
  return {
    brokers: cluster.bootstrapServers,
    credentialsFile: cluster.credentialsFile,
    control: { kind: 'local' as const, dataDir: cluster.dataDir, portBase: cluster.portBase },
  };
}

async function startLocalPostgres(stops: Stop[]): Promise<string> {
  const postgres = testPostgres();
  stops.push(() => postgres.stop());
  await postgres.start();
  return postgres.adminUrl;
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required with TEST_KAFKA_BROKERS`);
  return value;
}
