import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import type {
  ConsumedBatch,
  StoredOffsets,
  TopicPartition,
  TopicPartitionOffset,
} from '@app/kafka';
import type { OrderEventEnvelope } from '@app/order-events';
import { currentGeneration, readCheckpoints } from '../view/order-view.tables';
import { OrderViewWriter, type PartitionBatch } from '../view/order-view-writer';
import { ProjectorMetrics } from '../projector.metrics';

/** What projecting a partition batch needs of it. */
export type ProjectedBatch<T> = Pick<
  ConsumedBatch<T>,
  'topic' | 'partition' | 'items' | 'nextOffset'
>;

/**
 * The live projection: keeps the current generation of the view up to date. Its batches come
 * through the Kafka transport (LiveOrderViewController); its checkpoints are where the
 * transport's consumer resumes on assignment.
 */
@Injectable()
export class LiveOrderViewHandler implements StoredOffsets {
  constructor(
    @Inject(Pool) private readonly pool: Pool,
    private readonly writer: OrderViewWriter,
    private readonly metrics: ProjectorMetrics,
  ) {}

  async handleBatch(batch: ProjectedBatch<OrderEventEnvelope>): Promise<void> {
    const outcome = await this.writer.applyBatch('current', toPartitionBatch(batch));
    this.metrics.recordBatch('live', batch, outcome);
  }

  /** The database, not Kafka's committed offsets, says how far the view has got. */
  async storedOffsets(assigned: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return storedOffsetsOf(this.pool, await currentGeneration(this.pool), assigned);
  }
}

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
