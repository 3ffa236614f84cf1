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
  deleteRetiredGenerations,
  insertReplay,
  markReplayFailed,
  runningReplay,
  type Replay,
} from './replays.tables';

/** Starts replays, and on boot joins the one running (its starter may have died). */
@Injectable()
export class OrderViewReplays implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('Replay');
  private run?: ReplayRun;

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
    await this.join(replay);
    return replay;
  }

  async onApplicationBootstrap(): Promise<void> {
    const replay = await runningReplay(this.pool);
    if (replay) {
      await this.join(replay);
    } else {
      const deleted = await deleteRetiredGenerations(this.pool);
      if (deleted > 0) this.logger.log(`removed ${deleted} rows of retired generations`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.run?.stop();
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
      // Recorded as failed so that the next replay may start, rather than 409 for ever.
      await run.stop().catch(() => undefined);
      await markReplayFailed(this.pool, replay, (error as Error).message);
      throw error;
    }
  }
}
