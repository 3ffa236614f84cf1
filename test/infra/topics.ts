import type { Admin, Kafka } from 'kafkajs';
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

/**
 * The group's committed offset of each partition of `topic`, by partition ('-1': none).
 * kafkajs's admin does not retry fetchOffsets when the group's coordinator moves or is still
 * loading (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, both marked retriable), which on a
 * busy machine happens while a test samples: a leader rebalance after an earlier test's broker
 * restart moves coordinators too.
 */
export async function committedGroupOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<{ partition: number; offset: string }[]> {
  const [entry] = await askingAgain(() => admin.fetchOffsets({ groupId, topics: [topic] }));
  return entry.partitions
    .map(({ partition, offset }) => ({ partition, offset }))
    .sort((a, b) => a.partition - b.partition);
}

/** Sets the (idle) group's offsets; asks again when its coordinator moved, as above. */
export async function setGroupOffsets(
  admin: Admin,
  groupId: string,
  topic: string,
  partitions: { partition: number; offset: string }[],
): Promise<void> {
  await askingAgain(() => admin.setOffsets({ groupId, topic, partitions }));
}

/** `request`'s answer, asked again while it fails with an error kafkajs marks retriable. */
async function askingAgain<T>(request: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      const retriable = (error as { retriable?: boolean }).retriable === true;
      if (!retriable || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
