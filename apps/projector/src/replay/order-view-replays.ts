import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Pool } from 'pg';
import { KafkaClient, KafkaMetrics, ReliableProducer } from '@app/kafka';
import { ProjectorMetrics } from '../projector.metrics';
import { PROJECTOR_OPTIONS, type ProjectorOptions } from '../projector.options';
import { OrderViewWriter } from '../view/order-view-writer';
import { ReplayRun } from './replay-run';
import {
  cancelRunningReplay,
  deleteRetiredGenerations,
  insertReplay,
  markReplayFailed,
  ReplayNotRunningError,
  runningReplay,
  type Replay,
} from './replays.tables';

/** How often every instance looks for a running replay to take part in. */
const WATCH_MS = 1_000;

/**
 * Starts and cancels replays, and takes part in the one running whoever started it: every
 * instance joins the replay's consumer group, so the replay goes on while any instance lives.
 */
@Injectable()
export class OrderViewReplays implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Replay');
  private run?: ReplayRun;
  private watcher?: NodeJS.Timeout;
  private watching?: Promise<void>;
  private closing = false;

  constructor(
    @Inject(Pool) private readonly pool: Pool,
    private readonly kafka: KafkaClient,
    private readonly deadLetters: ReliableProducer,
    private readonly kafkaMetrics: KafkaMetrics,
    private readonly writer: OrderViewWriter,
    private readonly metrics: ProjectorMetrics,
    @Inject(PROJECTOR_OPTIONS) private readonly options: ProjectorOptions,
  ) {}

  /** Records the replay (refused with ReplayAlreadyRunningError while one runs) and starts it. */
  async start(): Promise<Replay> {
    const endOffsets = await this.kafka.endOffsets(this.options.topic);
    const replay = await insertReplay(this.pool, randomUUID(), endOffsets);
    try {
      await this.join(replay);
    } catch (error) {
      // Recorded as failed so that the next replay may start, rather than 409 for ever.
      await markReplayFailed(this.pool, replay, (error as Error).message);
      throw error;
    }
    return replay;
  }

  /**
   * Marks the running replay cancelled and stops this instance's part in it; the others stop at
   * their next tick. Its generation is deleted in the background.
   */
  async cancel(): Promise<Replay> {
    const replay = await cancelRunningReplay(this.pool);
    if (!replay) throw new ReplayNotRunningError();
    const run = this.run?.replay.replayId === replay.replayId ? this.run : undefined;
    await run?.stop();
    const cleanUp = run ? run.finish() : deleteRetiredGenerations(this.pool);
    cleanUp.catch((error: Error) =>
      this.logger.warn(`replay ${replay.replayId}: removing its generation: ${error.message}`),
    );
    this.logger.log(`replay ${replay.replayId} cancelled`);
    return replay;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await runningReplay(this.pool))) {
      const deleted = await deleteRetiredGenerations(this.pool);
      if (deleted > 0) this.logger.log(`removed ${deleted} rows of retired generations`);
    }
    await this.watch();
    this.watcher = setInterval(() => void this.watch(), WATCH_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.watcher);
    await this.watching;
    await this.run?.stop();
  }

  /** Joins the running replay if this instance has no part in it (it may have started elsewhere). */
  private watch(): Promise<void> {
    this.watching ??= (async () => {
      try {
        const replay = await runningReplay(this.pool);
        if (replay && !this.run && !this.closing) await this.join(replay);
      } catch (error) {
        this.logger.warn(
          `joining the running replay failed (retrying): ${(error as Error).message}`,
        );
      } finally {
        this.watching = undefined;
      }
    })();
    return this.watching;
  }

  private async join(replay: Replay): Promise<void> {
    if (this.run?.replay.replayId === replay.replayId) return;
    const run = new ReplayRun(
      replay,
      {
        pool: this.pool,
        kafka: this.kafka,
        deadLetters: this.deadLetters,
        kafkaMetrics: this.kafkaMetrics,
        writer: this.writer,
        metrics: this.metrics,
        options: this.options,
      },
      () => {
        if (this.run === run) this.run = undefined;
      },
    );
    this.run = run;
    try {
      await run.start();
    } catch (error) {
      await run.stop().catch(() => undefined);
      throw error;
    }
  }
}
