import type { ConsumedBatch } from '@app/kafka';
import type { OrderEventEnvelope } from '@app/order-events';
import type { PartitionBatch } from './order-view-writer';

/**
 * What the live projection and replays share of consumed batches: how much one reads, and turning
 * one into what the writer applies (where a generation's consumer resumes is storedOffsetsOf, in
 * checkpoint.store.ts). Both build on this, neither on the other.
 */

/**
 * A partition's share of one fetch, and so the most one batch (one transaction) reads: 4 MiB,
 * some 6,000 events. Catching up and replaying in fewer, larger batches spends less per event
 * on what each batch costs whatever its size (locks, checkpoint, commit, a fetch).
 */
export const FETCH_MAX_BYTES_PER_PARTITION = 4 * 1024 * 1024;

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
