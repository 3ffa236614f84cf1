import { publishHandle, type TestInfraHandle } from './infra-handle';
import { resetTestDataDir, testKafkaCluster, testPostgres } from './local-infra';
import { startTestcontainersInfra } from './testcontainers-infra';

type Stop = () => Promise<void>;
const state = globalThis as typeof globalThis & { __orderLedgerInfraStops?: Stop[] };

/**
 * Starts (once, shared by the integration and e2e projects) the Kafka cluster and PostgreSQL the
 * tests run against:
 * - TEST_KAFKA_BROKERS / TEST_DATABASE_URL: use those (no broker control: fault tests refuse);
 * - TEST_INFRA=testcontainers: 3 Kafka containers and a PostgreSQL container (needs Docker);
 * - otherwise the project's own launchers: a 3-node KRaft cluster from the Maven jars and
 *   embedded PostgreSQL.
 */
export default async function globalSetup(): Promise<void> {
  if (state.__orderLedgerInfraStops) return;
  const stops: Stop[] = [];
  state.__orderLedgerInfraStops = stops;
  const started = Date.now();

  if (process.env.TEST_INFRA === 'testcontainers') {
    const { handle, stop } = await startTestcontainersInfra();
    stops.push(stop);
    publishHandle(handle);
    return;
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
    control: { kind: 'local' as const, dataDir: cluster.dataDir, portBase: cluster.portBase },
  };
}

async function startLocalPostgres(stops: Stop[]): Promise<string> {
  const postgres = testPostgres();
  stops.push(() => postgres.stop());
  await postgres.start();
  return postgres.adminUrl;
}
