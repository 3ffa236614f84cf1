import type { Pool } from 'pg';
import type { ConsumedBatch, TopicPartition, TopicPartitionOffset } from '@app/kafka';
import type { OrderEventEnvelope } from '@app/order-events';
import { readCheckpoints } from './order-view.tables';
import type { PartitionBatch } from './order-view-writer';

/**
 * What the live projection and replays share of consumed batches: turning one into what the
 * writer applies, and where a generation's consumer resumes. Both build on this, neither on the
 * other.
 */

/** What projecting a partition batch needs of it. */
export type ProjectedBatch<T> = Pick<
  ConsumedBatch<T>,
  'topic' | 'partition' | 'items' | 'nextOffset'
>;

export function toPartitionBatch<T extends OrderEventEnvelope | undefined>(
  batch: ProjectedBatch<T>,
): PartitionBatch {
  const events = [];
  for (const { record, value } of batch.items) {
    if (value === undefined) continue;
    events.push({
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      envelope: value,
    });
  }
  return { topic: batch.topic, partition: batch.partition, events, nextOffset: batch.nextOffset };
}

/** A partition with no checkpoint has nothing applied yet: it starts from the beginning. */
export async function storedOffsetsOf(
  pool: Pool,
  generation: number,
  assigned: TopicPartition[],
): Promise<TopicPartitionOffset[]> {
  const topics = [...new Set(assigned.map((entry) => entry.topic))];
  const checkpoints = new Map<string, string>();
  for (const topic of topics) {
    for (const checkpoint of (await readCheckpoints(pool, generation, topic)).values()) {
      checkpoints.set(`${topic}:${checkpoint.partition}`, checkpoint.nextOffset);
    }
  }
  return assigned.map(({ topic, partition }) => ({
    topic,
    partition,
    offset: checkpoints.get(`${topic}:${partition}`) ?? '0',
  }));
}
