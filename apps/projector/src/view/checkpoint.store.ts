import type { TopicPartition, TopicPartitionOffset } from '@app/kafka';

/** How far a generation has read a partition: the next offset to read, stored with the rows. */
export interface Checkpoint {
  partition: number;
  nextOffset: string;
  lastEventAt: Date | null;
}

/**
 * The checkpoints of the view's generations (the port; written by the view writer's batches,
 * read here): where a generation's consumer resumes, and how far a replay got.
 */
export abstract class CheckpointStore {
  /** The generation's checkpoints of `topic`, by partition. */
  abstract read(generation: number, topic: string): Promise<Map<number, Checkpoint>>;
}

/** A partition with no checkpoint has nothing applied yet: it starts from the beginning. */
export async function storedOffsetsOf(
  checkpoints: CheckpointStore,
  generation: number,
  assigned: readonly TopicPartition[],
): Promise<TopicPartitionOffset[]> {
  const topics = [...new Set(assigned.map((entry) => entry.topic))];
  const stored = new Map<string, string>();
  for (const topic of topics) {
    for (const checkpoint of (await checkpoints.read(generation, topic)).values()) {
      stored.set(`${topic}:${checkpoint.partition}`, checkpoint.nextOffset);
    }
  }
  return assigned.map(({ topic, partition }) => ({
    topic,
    partition,
    offset: stored.get(`${topic}:${partition}`) ?? '0',
  }));
}
