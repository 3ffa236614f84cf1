import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { GenericContainer, Network, Wait } from 'testcontainers';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { KAFKA_DURABILITY_SETTINGS } from '../../tools/local-infra/kafka-broker-settings';
import { waitUntilKafkaReady } from '../../tools/local-infra/kafka-cluster';
import type { TestInfraHandle } from './infra-handle';

/** Host ports for the brokers' external listeners: advertised listeners must be known up front. */
const EXTERNAL_PORT_BASE = 19492;
const NODES = [1, 2, 3];

/**
 * The same topology as the local launcher, in containers, for machines with a Docker engine.
 * Not exercised on the project's own machines, which have none.
 */
export async function startTestcontainersInfra(): Promise<{
  handle: TestInfraHandle;
  stop: () => Promise<void>;
}> {
  const network = await new Network().start();
  const voters = NODES.map((id) => `${id}@kafka-${id}:9093`).join(',');
  const durabilityEnv = Object.fromEntries(
    Object.entries(KAFKA_DURABILITY_SETTINGS).map(([key, value]) => [
      `KAFKA_${key.toUpperCase().replace(/\./g, '_')}`,
      value,
    ]),
  );
  const clusterId = 'b3JkZXItbGVkZ2VyLXRlc3Q';
  const [postgres, ...brokers] = await Promise.all([
    new PostgreSqlContainer('postgres:17').start(),
    ...NODES.map((id) =>
      new GenericContainer(`apache/kafka:${kafkaVersion()}`)
        .withNetwork(network)
        .withNetworkAliases(`kafka-${id}`)
        .withExposedPorts({ container: 9094, host: EXTERNAL_PORT_BASE + id })
        .withEnvironment({
          CLUSTER_ID: clusterId,
          KAFKA_NODE_ID: String(id),
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_CONTROLLER_QUORUM_VOTERS: voters,
          KAFKA_LISTENERS: 'INTERNAL://:9092,CONTROLLER://:9093,EXTERNAL://:9094',
          KAFKA_ADVERTISED_LISTENERS: `INTERNAL://kafka-${id}:9092,EXTERNAL://127.0.0.1:${EXTERNAL_PORT_BASE + id}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:
            'INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT,EXTERNAL:PLAINTEXT',
          KAFKA_NUM_PARTITIONS: '6',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          ...durabilityEnv,
        })
        .withWaitStrategy(Wait.forListeningPorts())
        .start(),
    ),
  ]);
  const kafkaBrokers = NODES.map((id) => `127.0.0.1:${EXTERNAL_PORT_BASE + id}`);
  await waitUntilKafkaReady(kafkaBrokers, { timeoutMs: 180_000, brokerCount: NODES.length });
  return {
    handle: {
      kafkaBrokers,
      databaseAdminUrl: postgres.getConnectionUri(),
      brokerControl: {
        kind: 'docker',
        containerIds: Object.fromEntries(brokers.map((broker, i) => [NODES[i], broker.getId()])),
      },
    },
    stop: async () => {
      await Promise.all([...brokers.map((broker) => broker.stop()), postgres.stop()]);
      await network.stop();
    },
  };
}

function kafkaVersion(): string {
  const pom = readFileSync(resolve(__dirname, '../../infra/kafka/pom.xml'), 'utf8');
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error('kafka.version not found in infra/kafka/pom.xml');
  return version;
}
