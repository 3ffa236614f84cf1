import type { Kafka } from 'kafkajs';
import { createTopicsAndWait } from '@app/kafka';

/**
 * Creates `topic` with the contract's durability: replication factor 3, min.insync.replicas 2,
 * records kept forever (as the apps require of the order events topic).
 */
export async function createDurableTopic(
  kafka: Kafka,
  topic: string,
  partitions: number,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, [
      {
        topic,
        numPartitions: partitions,
        replicationFactor: 3,
        configEntries: [
          { name: 'min.insync.replicas', value: '2' },
          { name: 'unclean.leader.election.enable', value: 'false' },
          { name: 'retention.ms', value: '-1' },
        ],
      },
    ]);
  } finally {
    await admin.disconnect();
  }
}

/** How many records `topic` holds: the sum of its partitions' high watermarks. */
export async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, { high }) => sum + Number(high), 0);
  } finally {
    await admin.disconnect();
  }
}
