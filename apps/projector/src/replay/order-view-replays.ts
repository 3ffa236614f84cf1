import { randomUUID } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { KafkaClient, KafkaMetrics, ReliableProducer } from '@app/kafka';
import { CheckpointRepository } from '../persistence/checkpoint.repository';
import { OrderViewRepository } from '../persistence/order-view.repository';
import { ReadDatabase } from '../persistence/read-database';
import { ReplayRepository, type Replay } from '../persistence/replay.repository';
import { projectionConfig, type ProjectionOptions } from '../projection.config';
import { ProjectorMetrics } from '../projector.metrics';
import { OrderViewWriter } from '../view/order-view-writer';
import { dropRetiredGenerations } from './drop-retired-generations';
import { ReplayRun } from './replay-run';

export class ReplayNotRunningError extends Error {
  constructor() {
    super('No replay of the order view is running');
    this.name = 'ReplayNotRunningError';
  }
}

/** How often every instance looks for a running replay to take part in. */
const WATCH_MS = 1_000;
/**
 * How often, while no replay runs, every instance looks for retired generations left behind and
 * drops them: a drop at a replay's end fails when readers or writers hold the tables past its
 * lock timeout, and the generation would otherwise take its disk until the next boot. The look
 * is a catalog query. A drop that fails again has made reads and batches wait for its lock
 * timeout (2 s), so the next waits twice as long, up to DROP_RETIRED_AT_MOST_EVERY_MS.
 */
const DROP_RETIRED_EVERY_MS = 15_000;
const DROP_RETIRED_AT_MOST_EVERY_MS = 300_000;

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
  private dropping?: Promise<boolean>;
  private retiredLookEveryMs = DROP_RETIRED_EVERY_MS;
  private nextRetiredLookAt = Date.now() + DROP_RETIRED_EVERY_MS;

  constructor(
    private readonly database: ReadDatabase,
    private readonly view: OrderViewRepository,
    private readonly checkpoints: CheckpointRepository,
    private readonly replays: ReplayRepository,
    private readonly kafka: KafkaClient,
    private readonly deadLetters: ReliableProducer,
    private readonly kafkaMetrics: KafkaMetrics,
    private readonly writer: OrderViewWriter,
    private readonly metrics: ProjectorMetrics,
    @Inject(projectionConfig.KEY) private readonly options: ProjectionOptions,
  ) {}

  /** Records the replay (refused with ReplayAlreadyRunningError while one runs) and starts it. */
  async start(): Promise<Replay> {
    const endOffsets = await this.kafka.endOffsets(this.options.topic);
    // Waits for operators' resolutions in flight (see ReplayRepository.insert).
    const replay = await this.replays.insert(randomUUID(), endOffsets);
    try {
      await this.join(replay);
    } catch (error) {
      // Recorded as failed so that the next replay may start, rather than 409 for ever.
      await this.replays.markFailed(replay, (error as Error).message);
      throw error;
    }
    return replay;
  }

  /**
   * Marks the running replay cancelled and stops this instance's part in it; the others stop at
   * their next tick. Its generation is deleted in the background.
   */
  async cancel(): Promise<Replay> {
    const replay = await this.replays.cancelRunning();
    if (!replay) throw new ReplayNotRunningError();
    const run = this.run?.replay.replayId === replay.replayId ? this.run : undefined;
    await run?.stop();
    const cleanUp = run ? run.finish() : this.dropRetired();
    cleanUp.catch((error: Error) =>
      this.logger.warn(`replay ${replay.replayId}: removing its generation: ${error.message}`),
    );
    this.logger.log(`replay ${replay.replayId} cancelled`);
    return replay;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!(await this.replays.running())) await this.dropRetired();
    await this.watch();
    this.watcher = setInterval(() => void this.watch(), WATCH_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.watcher);
    await this.watching;
    await this.run?.stop();
  }

  /**
   * Joins the running replay if this instance has no part in it (it may have started elsewhere);
   * while none runs, drops retired generations now and then.
   */
  private watch(): Promise<void> {
    this.watching ??= (async () => {
      try {
        const replay = await this.replays.running();
        if (replay && !this.run && !this.closing) await this.join(replay);
        const lookDue = Date.now() >= this.nextRetiredLookAt;
        if (!replay && !this.closing && lookDue) await this.dropRetiredLeftBehind();
      } catch (error) {
        this.logger.warn(`watching replays failed (retrying): ${(error as Error).message}`);
      } finally {
        this.watching = undefined;
      }
    })();
    return this.watching;
  }

  /** One drop at a time here: a replay's end, a cancel, the boot and the watcher all ask for it. */
  private dropRetired(): Promise<boolean> {
    this.dropping ??= dropRetiredGenerations(this.view, this.logger).finally(() => {
      this.dropping = undefined;
    });
    return this.dropping;
  }

  /** Drops retired generations if any are left, backing off while the drop keeps failing. */
  private async dropRetiredLeftBehind(): Promise<void> {
    try {
      const noneLeft = !(await this.view.hasRetiredGenerations()) || (await this.dropRetired());
      this.retiredLookEveryMs = noneLeft
        ? DROP_RETIRED_EVERY_MS
        : Math.min(this.retiredLookEveryMs * 2, DROP_RETIRED_AT_MOST_EVERY_MS);
    } finally {
      this.nextRetiredLookAt = Date.now() + this.retiredLookEveryMs;
    }
  }

  private async join(replay: Replay): Promise<void> {
    if (this.run?.replay.replayId === replay.replayId) return;
    const run = new ReplayRun(
      replay,
      {
        database: this.database,
        view: this.view,
        checkpoints: this.checkpoints,
        replays: this.replays,
        kafka: this.kafka,
        deadLetters: this.deadLetters,
        kafkaMetrics: this.kafkaMetrics,
        writer: this.writer,
        metrics: this.metrics,
        options: this.options,
        dropRetiredGenerations: () => this.dropRetired(),
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
