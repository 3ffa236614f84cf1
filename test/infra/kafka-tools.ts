import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toPropertiesFile } from '../../tools/local-infra/kafka-broker-settings';
import { runKafkaTool } from '../../tools/local-infra/kafka-cluster';
import { clientProperties } from '../../tools/local-infra/kafka-credentials';
import { kafkaCredential } from './test-infra';

/** kafka-consumer-groups (Kafka's own tool, from the jars) with `args`; its standard output. */
async function consumerGroupCommand(brokers: string[], args: string[]): Promise<string> {
  return runKafkaTool('org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', [
    '--bootstrap-server',
    brokers.join(','),
    '--command-config',
    superUserClientConfig(),
    ...args,
  ]);
}

let clientConfigFile: string | undefined;

/** The super user's client properties for Kafka's CLI tools: a private file, once per process. */
function superUserClientConfig(): string {
  if (!clientConfigFile) {
    const file = join(mkdtempSync(join(tmpdir(), 'kafka-tools-')), 'client.properties');
    writeFileSync(file, toPropertiesFile(clientProperties(kafkaCredential())), { mode: 0o600 });
    clientConfigFile = file;
  }
  return clientConfigFile;
}

/**
 * A group's committed offsets as Kafka's own kafka-consumer-groups tool reports them: an
 * independent witness, not our client's view. Partition → committed offset (absent: none).
 */
export async function committedOffsetsByKafkaTools(
  brokers: string[],
  group: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const stdout = await consumerGroupCommand(brokers, ['--describe', '--group', group]);
  // Columns: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
  const offsets = new Map<number, bigint>();
  for (const line of stdout.split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns[0] !== group || columns[1] !== topic) continue;
    if (/^\d+$/.test(columns[3])) offsets.set(Number(columns[2]), BigInt(columns[3]));
  }
  return offsets;
}

/** How many members a group has, as kafka-consumer-groups --describe --members reports it. */
export async function groupMemberCountByKafkaTools(
  brokers: string[],
  group: string,
): Promise<number> {
  const stdout = await consumerGroupCommand(brokers, ['--describe', '--members', '--group', group]);
  // Columns: GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS
  return stdout.split('\n').filter((line) => line.trim().split(/\s+/)[0] === group).length;
}
