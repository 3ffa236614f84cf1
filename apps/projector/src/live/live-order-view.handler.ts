import { Injectable } from '@nestjs/common';
import type { StoredOffsets, TopicPartition, TopicPartitionOffset } from '@app/kafka';
import type { OrderEventEnvelope } from '@app/order-events';
import { CheckpointStore, storedOffsetsOf } from '../view/checkpoint.store';
import { toPartitionBatch, type ProjectedBatch } from '../view/consumed-batches';
import { OrderViewStore } from '../view/order-view.store';
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
    private readonly view: OrderViewStore,
    private readonly checkpoints: CheckpointStore,
    private readonly writer: OrderViewWriter,
    private readonly metrics: ProjectorMetrics,
  ) {}

  async handleBatch(batch: ProjectedBatch<OrderEventEnvelope>): Promise<void> {
    const outcome = await this.writer.applyBatch('current', toPartitionBatch(batch));
    this.metrics.recordBatch('live', batch, outcome);
  }

  /** The database, not Kafka's committed offsets, says how far the view has got. */
  async storedOffsets(assigned: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return storedOffsetsOf(this.checkpoints, await this.view.currentGeneration(), assigned);
  }
}
