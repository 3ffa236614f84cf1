import { Inject, Injectable } from '@nestjs/common';
import { Pool } from 'pg';
import type { StoredOffsets, TopicPartition, TopicPartitionOffset } from '@app/kafka';
import type { OrderEventEnvelope } from '@app/order-events';
import { storedOffsetsOf, toPartitionBatch, type ProjectedBatch } from '../view/consumed-batches';
import { currentGeneration } from '../view/order-view.tables';
import { OrderViewWriter } from '../view/order-view-writer';
import { ProjectorMetrics } from '../projector.metrics';

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
