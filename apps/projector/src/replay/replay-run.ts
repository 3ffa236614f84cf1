import { Logger } from '@nestjs/common';
import type { Pool } from 'pg';
import { isTransientDatabaseError } from '@app/database';
import {
  ReliableConsumer,
  type BatchHandler,
  type ConsumedBatch,
  type ConsumedRecord,
  type KafkaClient,
  type KafkaMetrics,
  type ReliableProducer,
  type TopicPartition,
  type TopicPartitionOffset,
} from '@app/kafka';
import { decodeOrderEventRecord, type OrderEventEnvelope } from '@app/order-events';
import type { ProjectorMetrics } from '../projector.metrics';
import { FETCH_MAX_BYTES_PER_PARTITION, type ProjectorOptions } from '../projector.options';
import { storedOffsetsOf, toPartitionBatch } from '../view/consumed-batches';
import type { OrderViewWriter } from '../view/order-view-writer';
import {
  deleteRetiredGenerations,
  replayProgress,
  runningReplay,
  switchToReplayedGeneration,
  type Replay,
} from './replays.tables';

const TICK_MS = 500;
/** How long the switch may hold back the live consumer while the replay closes the last gap. */
const SWITCH_WITHIN_MS = 5_000;
/** How often a running replay logs how far it got (the log `npm start` prints). */
const PROGRESS_LOG_EVERY_MS = 10_000;

export interface ReplayRunDependencies {
  pool: Pool;
  kafka: KafkaClient;
  deadLetters: ReliableProducer;
  kafkaMetrics: KafkaMetrics;
  writer: OrderViewWriter;
  metrics: ProjectorMetrics;
  options: ProjectorOptions;
}

/**
 * This instance's part in one replay: a consumer group of the replay's own reads the topic from
 * the start into the replay's generation, and a ticker switches reads over once it has caught
 * up. Every instance that runs the replay joins the same group, so they share the partitions.
 */
export class ReplayRun implements BatchHandler<OrderEventEnvelope | undefined> {
  private readonly logger = new Logger('Replay');
  private readonly consumer: ReliableConsumer<OrderEventEnvelope | undefined>;
  private readonly groupId: string;
  private ticker?: NodeJS.Timeout;
  private ticking = false;
  private progressLoggedAt = Date.now();
  private stopped?: Promise<void>;
  private finished?: Promise<void>;

  constructor(
    readonly replay: Replay,
    private readonly deps: ReplayRunDependencies,
    private readonly onEnd: () => void,
  ) {
    const { options } = deps;
    this.groupId = `${options.groupId}-replay-${replay.replayId}`;
    this.consumer = new ReliableConsumer(
      deps.kafka.kafka,
      {
        ...deps.kafka.consumerSettings,
        groupId: this.groupId,
        topics: [options.topic],
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
        maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
        isRetriable: isRetriableProjectionError,
        logger: new Logger(`Consumer ${this.groupId}`),
      },
      this,
      deps.deadLetters,
      deps.kafkaMetrics,
    );
  }

  async start(): Promise<void> {
    this.deps.metrics.replayRunning.set(1);
    this.ticker = setInterval(() => void this.tick(), TICK_MS);
    await this.consumer.start();
    this.logger.log(
      `replay ${this.replay.replayId} building generation ${this.replay.generation} from offset 0`,
    );
  }

  /** Stops this instance's part; the replay itself goes on if it still runs elsewhere. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.ticker);
      await this.consumer.stop();
      this.deps.metrics.replayRunning.set(0);
      this.onEnd();
    })();
    return this.stopped;
  }

  /** Undecodable records were dead-lettered by the live consumer already: skipped, not sent again. */
  decode(record: ConsumedRecord): OrderEventEnvelope | undefined {
    try {
      return decodeOrderEventRecord(record);
    } catch {
      return undefined;
    }
  }

  async handleBatch(batch: ConsumedBatch<OrderEventEnvelope | undefined>): Promise<void> {
    const outcome = await this.deps.writer.applyBatch(
      this.replay.generation,
      toPartitionBatch(batch),
    );
    this.deps.metrics.recordBatch('replay', batch, outcome);
  }

  async storedOffsets(assigned: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    return storedOffsetsOf(this.deps.pool, this.replay.generation, assigned);
  }

  /** Every PROGRESS_LOG_EVERY_MS, a line an operator watching the log can follow. */
  private reportProgress({ processed, total }: { processed: number; total: number }): void {
    const now = Date.now();
    if (now - this.progressLoggedAt < PROGRESS_LOG_EVERY_MS) return;
    this.progressLoggedAt = now;
    const percent = total === 0 ? 100 : Math.floor((processed / total) * 100);
    this.logger.log(
      `replay ${this.replay.replayId}: ${processed} of ${total} events (${percent} %)`,
    );
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const { pool, options, metrics } = this.deps;
      const running = await runningReplay(pool);
      if (running?.replayId !== this.replay.replayId) {
        // Switched, cancelled or failed, here or by another instance.
        await this.finish();
        return;
      }
      const progress = await replayProgress(pool, this.replay, options.topic);
      metrics.replayProgress.set(progress.total === 0 ? 1 : progress.processed / progress.total);
      this.reportProgress(progress);
      if (!progress.caughtUp) return;
      if (await switchToReplayedGeneration(pool, this.replay, options.topic, SWITCH_WITHIN_MS)) {
        this.logger.log(
          `replay ${this.replay.replayId}: generation ${this.replay.generation} now serves reads`,
        );
        metrics.replayProgress.set(1);
        await this.finish();
      }
    } catch (error) {
      this.logger.warn(`replay ${this.replay.replayId}: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }

  /** Stops, then removes what the replay leaves behind: its group and retired generations. */
  finish(): Promise<void> {
    this.finished ??= (async () => {
      await this.stop();
      await this.deps.kafka.deleteGroup(this.groupId).catch(() => {
        // Another instance may still be leaving the group; the group is empty and harmless.
      });
      const deleted = await deleteRetiredGenerations(this.deps.pool);
      if (deleted > 0) this.logger.log(`removed ${deleted} rows of retired generations`);
    })();
    return this.finished;
  }
}

/** PostgreSQL unreachable or Kafka's retriable errors: retried in place, the batch kept. */
export function isRetriableProjectionError(error: unknown): boolean {
  return isTransientDatabaseError(error) || (error as { retriable?: boolean }).retriable === true;
}
