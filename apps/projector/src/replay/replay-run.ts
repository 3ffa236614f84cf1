import { Logger } from '@nestjs/common';
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
import type { CheckpointRepository } from '../persistence/checkpoint.repository';
import type { OrderViewRepository } from '../persistence/order-view.repository';
import type { ReadDatabase } from '../persistence/read-database';
import type { Replay, ReplayRepository } from '../persistence/replay.repository';
import type { ProjectionOptions } from '../projection.config';
import type { ProjectorMetrics } from '../projector.metrics';
import { storedOffsetsOf } from '../view/checkpoint.store';
import { FETCH_MAX_BYTES_PER_PARTITION, toPartitionBatch } from '../view/consumed-batches';
import type { OrderViewWriter } from '../view/order-view-writer';
import { replayProgress } from './replay-progress';

const TICK_MS = 500;
/** How long the switch may hold back the live consumer while the replay closes the last gap. */
const SWITCH_WITHIN_MS = 5_000;
const SWITCH_POLL_MS = 50;
/** How often a running replay logs how far it got (the log `npm start` prints). */
const PROGRESS_LOG_EVERY_MS = 10_000;

export interface ReplayRunDependencies {
  database: ReadDatabase;
  view: OrderViewRepository;
  checkpoints: CheckpointRepository;
  replays: ReplayRepository;
  kafka: KafkaClient;
  deadLetters: ReliableProducer;
  kafkaMetrics: KafkaMetrics;
  writer: OrderViewWriter;
  metrics: ProjectorMetrics;
  options: ProjectionOptions;
  /** Drops the generations neither serving reads nor being built; false if it gave up. */
  dropRetiredGenerations: () => Promise<boolean>;
}

/**
 * This instance's part in one replay: a consumer group of the replay's own reads the topic from
 * the start into the replay's generation, and a ticker indexes it and switches reads over once it
 * has caught up. Every instance that runs the replay joins the same group, so they share the
 * partitions.
 */
export class ReplayRun implements BatchHandler<OrderEventEnvelope | undefined> {
  private readonly logger = new Logger('Replay');
  private readonly consumer: ReliableConsumer<OrderEventEnvelope | undefined>;
  private readonly groupId: string;
  private ticker?: NodeJS.Timeout;
  private ticking = false;
  private indexed = false;
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
        isRetriable: isRetriableReplayError,
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
    return storedOffsetsOf(this.deps.checkpoints, this.replay.generation, assigned);
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
      const { replays, checkpoints, options, metrics } = this.deps;
      const running = await replays.running();
      if (running?.replayId !== this.replay.replayId) {
        // Switched, cancelled or failed, here or by another instance.
        await this.finish();
        return;
      }
      const progress = replayProgress(
        this.replay,
        await checkpoints.read(this.replay.generation, options.topic),
      );
      metrics.replayProgress.set(progress.total === 0 ? 1 : progress.processed / progress.total);
      this.reportProgress(progress);
      if (!progress.caughtUp) return;
      // The replay's batches waited for the build: the switch, which holds the live consumer
      // back until the replay closes its gap, comes at the next tick, once they have gone on.
      if (await this.indexGeneration()) return;
      if (await this.switchToReplayedGeneration()) {
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

  /**
   * The generation was built without its list indexes (migration 0008): they are sorted in once
   * it has caught up, where keeping them up row by row cost a third of the replay's database
   * work. Writes to the generation wait meanwhile (the replay's batches, retried past their lock
   * timeout, and an operator's resolution carried into it); reads and the live consumer go on.
   * Once per run (the switch's update would build what is missing, holding the live consumer
   * back meanwhile); true when it ran now.
   */
  private async indexGeneration(): Promise<boolean> {
    if (this.indexed) return false;
    const started = Date.now();
    await this.deps.view.indexGeneration(this.replay.generation);
    this.indexed = true;
    this.logger.log(
      `replay ${this.replay.replayId}: generation ${this.replay.generation} indexed in ${Date.now() - started} ms`,
    );
    return true;
  }

  /**
   * Makes the replay's generation current, in one transaction, once it holds at least every
   * event the current one holds. Locking the state row for update holds back the live
   * consumer's batches (they lock it in share mode), so the current generation stands still
   * while the replay closes the last gap; reads never wait, they take no locks. Returns false,
   * changing nothing, when the gap does not close within SWITCH_WITHIN_MS or the replay is no
   * longer running (a cancel and a switch are serialised on the replay's row).
   */
  private async switchToReplayedGeneration(): Promise<boolean> {
    const { database, view, checkpoints, replays, options } = this.deps;
    const { replayId, generation } = this.replay;
    const gapStillOpen = new Error('the replay did not close the gap in time');
    try {
      return await database.transaction(async (tx) => {
        const current = await view.lockCurrentGenerationForUpdate(tx);
        if (!(await replays.lockIfRunning(replayId, tx))) return false;
        const deadline = Date.now() + SWITCH_WITHIN_MS;
        while ((await checkpoints.partitionsBehind(generation, current, options.topic, tx)) > 0) {
          // Thrown so that the transaction rolls back and the live consumer goes on.
          if (Date.now() > deadline) throw gapStillOpen;
          await new Promise((resolve) => setTimeout(resolve, SWITCH_POLL_MS));
        }
        await view.makeCurrent(generation, tx);
        await replays.markCompleted(replayId, tx);
        await view.notifyViewChanged(tx);
        return true;
      });
    } catch (error) {
      if (error === gapStillOpen) return false;
      throw error;
    }
  }

  /** Stops, then removes what the replay leaves behind: its group and retired generations. */
  finish(): Promise<void> {
    this.finished ??= (async () => {
      await this.stop();
      await this.deps.kafka.deleteGroup(this.groupId).catch(() => {
        // Another instance may still be leaving the group; the group is empty and harmless.
      });
      await this.deps.dropRetiredGenerations();
    })();
    return this.finished;
  }
}

/** PostgreSQL unreachable or Kafka's retriable errors: retried in place, the batch kept. */
export function isRetriableProjectionError(error: unknown): boolean {
  return isTransientDatabaseError(error) || (error as { retriable?: boolean }).retriable === true;
}

/**
 * Also a batch written into a generation whose partitions are gone: another instance cancelled
 * or failed the replay and dropped them while this one's batch was on its way. It is retried in
 * place, never dead-lettered, until this run's tick sees the replay ended and stops it.
 */
export function isRetriableReplayError(error: unknown): boolean {
  // "no partition of relation … found for row", told by its code and table, not its wording.
  const { code, table } = error as { code?: string; table?: string };
  const generationDropped =
    code === '23514' && (table === 'order_view' || table === 'order_history');
  return generationDropped || isRetriableProjectionError(error);
}
