import { Inject, Injectable } from '@nestjs/common';
import { KafkaClient } from '@app/kafka';
import { OrderViewRepository } from '../persistence/order-view.repository';
import { ReplayRepository } from '../persistence/replay.repository';
import { projectionConfig, type ProjectionOptions } from '../projection.config';
import { replayProgress } from '../replay/replay-progress';
import { CheckpointStore } from '../view/checkpoint.store';

export interface PartitionLag {
  partition: number;
  /** The next offset the current generation will read. */
  nextOffset: string;
  endOffset: string;
  lag: number;
  /** Age of the last applied event while the partition lags, 0 when it is caught up. */
  lagSeconds: number;
}

export interface ProjectionStatus {
  projection: 'order-view';
  status: 'live' | 'rebuilding';
  currentGeneration: number;
  partitions: PartitionLag[];
  /** Records in the dead-letter topic: undecodable ones the projection stepped over. */
  deadLettered: number;
  /** The latest replay, running or finished; null before the first. */
  replay: {
    replayId: string;
    generation: number;
    status: string;
    processed: number;
    total: number;
    startedAt: Date;
    finishedAt: Date | null;
  } | null;
}

@Injectable()
export class ProjectionStatusReader {
  constructor(
    private readonly view: OrderViewRepository,
    private readonly checkpoints: CheckpointStore,
    private readonly replays: ReplayRepository,
    private readonly kafka: KafkaClient,
    @Inject(projectionConfig.KEY) private readonly options: ProjectionOptions,
  ) {}

  async read(): Promise<ProjectionStatus> {
    const { topic, deadLetterTopic } = this.options;
    const generation = await this.view.currentGeneration();
    const [checkpoints, endOffsets, deadLettered, replay] = await Promise.all([
      this.checkpoints.read(generation, topic),
      this.kafka.endOffsets(topic),
      this.kafka.recordCount(deadLetterTopic),
      this.replays.latest(),
    ]);
    const now = Date.now();
    const partitions = endOffsets.map(({ partition, offset: endOffset }) => {
      const checkpoint = checkpoints.get(partition);
      const nextOffset = checkpoint?.nextOffset ?? '0';
      const lag = Math.max(0, Number(BigInt(endOffset) - BigInt(nextOffset)));
      const lastEventAt = checkpoint?.lastEventAt?.getTime();
      const lagSeconds = lag > 0 && lastEventAt !== undefined ? (now - lastEventAt) / 1000 : 0;
      return { partition, nextOffset, endOffset, lag, lagSeconds };
    });
    const progress =
      replay && replayProgress(replay, await this.checkpoints.read(replay.generation, topic));
    return {
      projection: 'order-view',
      status: replay?.status === 'running' ? 'rebuilding' : 'live',
      currentGeneration: generation,
      partitions,
      deadLettered,
      replay:
        replay && progress
          ? {
              replayId: replay.replayId,
              generation: replay.generation,
              status: replay.status,
              processed: replay.status === 'completed' ? progress.total : progress.processed,
              total: progress.total,
              startedAt: replay.startedAt,
              finishedAt: replay.finishedAt,
            }
          : null,
    };
  }
}
