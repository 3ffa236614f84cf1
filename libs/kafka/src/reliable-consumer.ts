import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { SpanKind } from '@opentelemetry/api';
import { inSpan, isTracing, linksFromHeaders } from '@app/tracing';
import { KafkaMetrics } from './kafka.metrics';
import type { ReliableProducer } from './reliable-producer';
import type { ConsumedRecord, TopicPartition, TopicPartitionOffset } from './kafka.types';

export interface ConsumedBatch<T> {
  topic: string;
  partition: number;
  /** The decodable records of the batch, in offset order (undecodable ones went to the DLQ). */
  items: { record: ConsumedRecord; value: T }[];
  /** The offset after the batch: what to store as "read up to" together with the results. */
  nextOffset: string;
  highWatermark: string;
  /**
   * Sends a heartbeat to the group now. The consumer already heartbeats every
   * `heartbeatIntervalMs` while a batch runs; this is for a handler that wants to know at once
   * whether the batch is still its own (it rejects once the member lost its assignment).
   */
  heartbeat: () => Promise<void>;
}

export interface BatchHandler<T> {
  /** Throws for a record that can never be processed: it goes to the DLQ, the partition moves on. */
  decode(record: ConsumedRecord): T;
  /**
   * Must be idempotent: after a crash or rebalance, a batch not yet committed comes again. May be
   * called with no items, to store `nextOffset` past records that went to the DLQ.
   */
  handleBatch(batch: ConsumedBatch<T>): Promise<void>;
  /**
   * Offsets stored outside Kafka (for example with the results). They rule: on each assignment
   * every partition is read from its stored offset, also when the group's committed offset is past
   * it, so a handler that keeps them must store each batch's `nextOffset` with its results.
   */
  storedOffsets?(assigned: TopicPartition[]): Promise<TopicPartitionOffset[]>;
}

export interface KafkaLogger {
  debug?(message: string): void;
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ReliableConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where undecodable records of `topic` go; `<topic>.dlq` by default. */
  deadLetterTopic?: (topic: string) => string;
  partitionsConsumedConcurrently?: number;
  /**
   * The most one fetch returns of a partition (kafkajs's maxBytesPerPartition, 1 MiB by
   * default). Each partition's share of a fetch is one handleBatch: larger fetches make fewer,
   * larger batches while catching up; a consumer that keeps up gets what is there either way.
   */
  maxBytesPerPartition?: number;
  /**
   * Transient errors (the database unreachable, a lock timeout) are never a record's fault: a
   * record failing with one is retried for as long as it lasts. A batch failing
   * `attemptsBeforeIsolating` times, whatever the error, is split to find the records that fail;
   * those failing with any other error go to the DLQ.
   */
  isRetriable?: (error: unknown) => boolean;
  attemptsBeforeIsolating?: number;
  /** A member that sends no heartbeat for this long is evicted from the group. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** A batch failing or in progress this long, or no fetch for this long, is a stall. */
  stallAfterMs?: number;
  /** The partition count each topic was created with: a larger assignment stops consumption. */
  expectedPartitions?: Record<string, number>;
  logger?: KafkaLogger;
}

export interface ConsumerHealth {
  consuming: boolean;
  /** Why it is not consuming, when it is not. */
  reason?: string;
}

/** What readiness shows of a consumer. */
export interface ConsumerStatus extends ConsumerHealth {
  group: string;
  member: boolean;
  /** ISO times; null before the first. */
  lastBatchAt: string | null;
  lastFetchAt: string | null;
}

export const CONSUMER_DEFAULTS = Object.freeze({
  attemptsBeforeIsolating: 3,
  // Short enough that a dead member's partitions move on within seconds, above the broker's
  // group.min.session.timeout.ms (6 s).
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  stallAfterMs: 15_000,
});

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 5_000;
const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 10_000;

type Outcome = 'done' | 'abandoned';

interface BatchContext {
  topic: string;
  partition: number;
  partitionKey: string;
  /** False (or throws) once the batch is no longer this member's to finish. */
  proceed: () => boolean;
  highWatermark: string;
  heartbeat: () => Promise<void>;
}

/**
 * Consumes with auto-commit off: each partition batch is handled, then its offset + 1 is
 * committed, so a committed offset never passes an unhandled record. After a rebalance nothing
 * is committed for a partition no longer owned. Undecodable records, and records the handler
 * keeps refusing on their own, go to a dead-letter topic with their origin in headers.
 *
 * Consumption never ends while the process lives: kafkajs stops for good on an error it deems
 * non-retriable (an eviction seen at commit time, for example), so this class starts a fresh
 * kafkajs consumer after every such crash, resuming from the stored offsets.
 */
export class ReliableConsumer<T> {
  readonly groupId: string;
  private consumer?: Consumer;
  /** Counts kafkajs consumers started; events of an older one are ignored. */
  private incarnation = 0;
  private readonly logger: KafkaLogger;
  private readonly settings: Record<keyof typeof CONSUMER_DEFAULTS, number>;
  private stopping = true;
  private restartTimer?: NodeJS.Timeout;
  private restarts = 0;
  private assignment: TopicPartition[] = [];
  /** Per partition, offsets below this were processed already according to storedOffsets(). */
  private floors?: Promise<Map<string, bigint>>;

  // What readiness reports.
  private member = false;
  private fatal?: string;
  private crashReason?: string;
  private lastFetchAt = 0;
  private lastBatchAt = 0;
  private readonly inProgressSince = new Map<string, number>();
  private readonly failing = new Map<string, { since: number; message: string }>();

  constructor(
    private readonly kafka: Kafka,
    private readonly options: ReliableConsumerOptions,
    private readonly handler: BatchHandler<T>,
    private readonly deadLetters: ReliableProducer,
    private readonly metrics: KafkaMetrics = new KafkaMetrics(),
  ) {
    this.logger = options.logger ?? console;
    this.groupId = options.groupId;
    this.settings = {
      attemptsBeforeIsolating:
        options.attemptsBeforeIsolating ?? CONSUMER_DEFAULTS.attemptsBeforeIsolating,
      sessionTimeoutMs: options.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs,
      stallAfterMs: options.stallAfterMs ?? CONSUMER_DEFAULTS.stallAfterMs,
    };
  }

  /** Starts consuming; a failure to reach Kafka is retried in the background, never thrown. */
  async start(): Promise<void> {
    this.stopping = false;
    await this.startConsumer();
  }

  /** Nest lifecycle: consumption starts once the whole app is up, and stops before the rest. */
  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /**
   * Lets the batch in progress finish, then leaves the group. Its offset is not committed to
   * Kafka once stopping: the next member reads that batch again (handlers are idempotent), or
   * starts past it from the handler's stored offsets.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.member = false;
    await this.consumer?.disconnect();
  }

  /** Whether it consumes as it should: a member of its group, fetching, no batch stuck. */
  health(now = Date.now()): ConsumerHealth {
    const stall = this.settings.stallAfterMs;
    const seconds = (since: number) => `${Math.round((now - since) / 1000)} s`;
    if (this.fatal) return { consuming: false, reason: this.fatal };
    if (this.stopping) return { consuming: false, reason: 'stopped' };
    if (!this.member) {
      return {
        consuming: false,
        reason: this.crashReason
          ? `restarting after: ${this.crashReason}`
          : `not (yet) a member of group ${this.options.groupId}`,
      };
    }
    for (const [partition, { since, message }] of this.failing) {
      if (now - since >= stall) {
        return {
          consuming: false,
          reason: `${partition} has been failing for ${seconds(since)}: ${message}`,
        };
      }
    }
    for (const [partition, since] of this.inProgressSince) {
      if (now - since >= stall) {
        return {
          consuming: false,
          reason: `a batch of ${partition} has been in progress for ${seconds(since)}`,
        };
      }
    }
    if (this.inProgressSince.size === 0 && now - this.lastFetchAt >= stall) {
      return { consuming: false, reason: `no fetch for ${seconds(this.lastFetchAt)}` };
    }
    return { consuming: true };
  }

  /** health() with what it is based on, as readiness shows it. */
  status(now = Date.now()): ConsumerStatus {
    const iso = (time: number) => (time > 0 ? new Date(time).toISOString() : null);
    return {
      group: this.groupId,
      ...this.health(now),
      member: this.member,
      lastBatchAt: iso(this.lastBatchAt),
      lastFetchAt: iso(this.lastFetchAt),
    };
  }

  private async startConsumer(): Promise<void> {
    const incarnation = ++this.incarnation;
    const current = () => incarnation === this.incarnation && !this.stopping;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.settings.sessionTimeoutMs,
      heartbeatInterval: this.settings.heartbeatIntervalMs,
      maxBytesPerPartition: this.options.maxBytesPerPartition,
    });
    this.consumer = consumer;
    this.member = false;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (!current()) return;
      this.onAssignment(payload.memberAssignment);
    });
    consumer.on(consumer.events.FETCH_START, () => {
      if (current()) this.lastFetchAt = Date.now();
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (current()) this.member = false;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!current()) return;
      this.member = false;
      this.crashReason = payload.error.message;
      // kafkajs restarts by itself after a retriable error; after any other it stays down.
      if (!payload.restart) this.scheduleRestart(consumer, payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: (payload) => this.processBatch(payload),
      });
      // Stopped (or replaced) while starting: a disconnect that came before run() left kafkajs
      // nothing to stop, so this one must.
      if (!current()) await consumer.disconnect();
    } catch (error) {
      if (current()) this.scheduleRestart(consumer, error as Error);
    }
  }

  private scheduleRestart(consumer: Consumer, error: Error): void {
    if (this.stopping || this.fatal) return;
    const delay = Math.min(RESTART_MIN_MS * 2 ** this.restarts, RESTART_MAX_MS);
    this.restarts += 1;
    this.crashReason = error.message;
    this.metrics.consumerRestarts.inc({ group: this.options.groupId });
    this.logger.error(
      `consumer of group ${this.options.groupId} stopped (${error.name}: ${error.message}); starting a new one in ${delay} ms from the stored offsets`,
    );
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      void (async () => {
        await consumer.disconnect().catch(() => undefined);
        if (!this.stopping) await this.startConsumer();
      })();
    }, delay);
  }

  private onAssignment(assignment: Record<string, number[]>): void {
    this.assignment = Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    for (const { topic, partition } of this.assignment) {
      const expected = this.options.expectedPartitions?.[topic];
      if (expected !== undefined && partition >= expected) {
        this.stopForGood(
          `topic ${topic} has more partitions than the ${expected} it was created with (partition ${partition} assigned): keys would move to other partitions, so consumption stopped`,
        );
        return;
      }
    }
    this.member = true;
    this.crashReason = undefined;
    this.restarts = 0;
    this.lastFetchAt = Date.now();
    this.failing.clear();
    this.floors = undefined;
    if (this.handler.storedOffsets) void this.loadOnAssignment(this.assignment);
  }

  /**
   * The assignment's stored offsets, loaded as soon as it is made and retried until that succeeds
   * or the assignment is replaced: a quiet partition gets no batch to load them, and unloaded they
   * are neither committed nor sought to (with a store restored from a backup, the records after its
   * stored offset would be passed over, silently). A load failing past the stall limit shows in
   * health().
   */
  private async loadOnAssignment(assignment: TopicPartition[]): Promise<void> {
    const current = () => this.assignment === assignment && !this.stopping && !this.fatal;
    await this.retrying(
      current,
      `loading the stored offsets of group ${this.options.groupId}`,
      () => this.assignmentFloors(),
    );
  }

  private stopForGood(reason: string): void {
    this.fatal = reason;
    this.logger.error(reason);
    // Not from inside the GROUP_JOIN handler: kafkajs's runner is not marked running until the
    // join returns, so a disconnect now would drop the runner without stopping it.
    const consumer = this.consumer;
    setTimeout(() => void consumer?.disconnect().catch(() => undefined), 0);
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    if (this.fatal) return;
    const partitionKey = key(topic, partition);
    this.inProgressSince.set(partitionKey, Date.now());
    // kafkajs heartbeats only between batches or when asked: a long batch (a lock wait, retries
    // of a database outage) must not get the member evicted.
    let lostMembership: Error | undefined;
    const heartbeat = async () => {
      try {
        await payload.heartbeat();
      } catch (error) {
        if (isMembershipLost(error)) lostMembership ??= error as Error;
        throw error;
      }
    };
    const pump = setInterval(() => {
      heartbeat().catch(() => undefined);
    }, this.settings.heartbeatIntervalMs);
    const proceed = () => {
      if (lostMembership) throw lostMembership;
      return payload.isRunning() && !payload.isStale() && !this.stopping;
    };
    try {
      const loaded = await this.retrying(proceed, partitionKey, () => this.floorOf(partitionKey));
      if (loaded === undefined) return;
      const floor = loaded.result;
      const messages = batch.messages.filter((message) => BigInt(message.offset) >= floor);
      if (messages.length === 0) {
        // Wholly below the stored offset: fetch from there rather than this batch again.
        this.consumer?.seek({ topic, partition, offset: floor.toString() });
        return;
      }
      const lastOffset = messages[messages.length - 1].offset;
      const nextOffset = (BigInt(lastOffset) + 1n).toString();

      const items: ConsumedBatch<T>['items'] = [];
      for (const message of messages) {
        const record = new ReceivedRecord(topic, partition, message);
        try {
          items.push({ record, value: this.handler.decode(record) });
        } catch (error) {
          const sent = await this.retrying(proceed, partitionKey, () =>
            this.deadLetter(record, error),
          );
          if (sent === undefined) return;
        }
      }

      const context = {
        topic,
        partition,
        partitionKey,
        proceed,
        highWatermark: batch.highWatermark,
        heartbeat,
      };
      const outcome = await this.handle(context, items, nextOffset, {
        attempts: this.settings.attemptsBeforeIsolating,
      });
      if (outcome === 'abandoned' || !proceed()) return;

      // A partition revoked while we worked belongs to another member now: its commit is
      // theirs. A commit refused because this member was evicted meanwhile throws, and the
      // consumer rejoins (kafkajs itself, or a fresh consumer after its crash).
      await this.consumer?.commitOffsets([{ topic, partition, offset: nextOffset }]);
      payload.resolveOffset(lastOffset);
      this.lastBatchAt = Date.now();
      this.metrics.recordsProcessed.inc({ group: this.options.groupId, topic }, messages.length);
      this.metrics.consumerLag.set(
        { group: this.options.groupId, topic, partition: String(partition) },
        Number(BigInt(batch.highWatermark) - BigInt(nextOffset)),
      );
    } finally {
      clearInterval(pump);
      this.inProgressSince.delete(partitionKey);
    }
  }

  /**
   * Hands `items` to the handler until it succeeds. After `attempts` failures the batch is split
   * in two, each half tried once, down to single records. A single record whose error is
   * transient is retried for as long as it lasts; one failing otherwise goes to the DLQ once the
   * handler has shown it works without it (see storedWithout) and the record has failed again
   * right after.
   */
  private async handle(
    context: BatchContext,
    items: ConsumedBatch<T>['items'],
    nextOffset: string,
    { attempts }: { attempts: number },
  ): Promise<Outcome> {
    const attempted = await this.attempt(context, items, nextOffset, attempts);
    if (attempted !== 'failed') return attempted;

    if (items.length > 1) {
      const half = Math.ceil(items.length / 2);
      const first = items.slice(0, half);
      const firstNext = (BigInt(first[first.length - 1].record.offset) + 1n).toString();
      const outcome = await this.handle(context, first, firstNext, { attempts: 1 });
      if (outcome === 'abandoned') return outcome;
      return this.handle(context, items.slice(half), nextOffset, { attempts: 1 });
    }
    if (items.length === 1) {
      const { record } = items[0];
      let reason = this.failing.get(context.partitionKey)?.message;
      for (;;) {
        const stored = await this.storedWithout(context, record.offset);
        if (stored === 'abandoned') return 'abandoned';
        // Tried again now that the handler has taken a batch: once if it took it at once (a
        // refusal of the record's own is the same every time), in full if it had been failing.
        const again = await this.attempt(
          context,
          items,
          nextOffset,
          stored === 'at once' ? 1 : this.settings.attemptsBeforeIsolating,
        );
        if (again !== 'failed') return again;
        reason = this.failing.get(context.partitionKey)?.message ?? reason;
        if (stored === 'at once') break;
      }
      const error = new Error(`the handler refuses it: ${reason ?? 'unknown error'}`);
      const sent = await this.retrying(context.proceed, context.partitionKey, () =>
        this.deadLetter(record, error),
      );
      if (sent === undefined) return 'abandoned';
    }
    // Nothing left to apply (none decoded, or the one record went to the DLQ): the offset past
    // them is stored, retried for as long as that fails. Committing without it would pass records
    // the handler never stored.
    return this.handle(context, [], nextOffset, { attempts: Number.POSITIVE_INFINITY });
  }

  /**
   * Hands `items` to the handler, up to `attempts` times with backoff ('failed' after that); a
   * single record failing transiently is retried for as long as that lasts.
   */
  private async attempt(
    context: BatchContext,
    items: ConsumedBatch<T>['items'],
    nextOffset: string,
    attempts: number,
  ): Promise<Outcome | 'failed'> {
    const { topic, partition } = context;
    let failures = 0;
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      if (!context.proceed()) return 'abandoned';
      try {
        await inSpan(
          `${topic} process`,
          {
            // A span per batch of its own, linked to each record's producing trace: a batch has
            // many origins, and a replay reads records whose traces ended long ago.
            root: true,
            kind: SpanKind.CONSUMER,
            links: isTracing() ? linksFromHeaders(items.map((item) => item.record)) : [],
            attributes: {
              'messaging.system': 'kafka',
              'messaging.consumer.group.name': this.options.groupId,
              'messaging.destination.name': topic,
              'messaging.destination.partition.id': String(partition),
              'messaging.batch.message_count': items.length,
            },
          },
          () =>
            this.handler.handleBatch({
              topic,
              partition,
              items,
              nextOffset,
              highWatermark: context.highWatermark,
              heartbeat: context.heartbeat,
            }),
        );
        this.failing.delete(context.partitionKey);
        return 'done';
      } catch (error) {
        const transient = (this.options.isRetriable ?? isRetriableError)(error);
        this.noteFailure(context.partitionKey, error);
        // A batch that keeps failing is split, whatever the error: a transient one may be the
        // batch's own size (a statement timeout). Only a single record failing for a reason
        // retrying cannot fix goes to the DLQ; one failing transiently is retried as it is.
        if (++failures >= attempts && (items.length > 1 || !transient)) return 'failed';
        this.logger.warn(
          `handling ${context.partitionKey} up to ${Number(nextOffset) - 1} failed (${transient ? 'transient' : 'not transient'}, attempt ${failures}, retrying in ${backoff} ms): ${describe(error)}`,
        );
        await sleep(backoff);
      }
    }
  }

  /**
   * Stores the partition's progress up to `offset` (an empty batch): whether the handler works
   * without the record there. A store that refuses everything for a reason retrying in place
   * does not fix (read-only after a failover, a revoked grant) fails every record alike; sending
   * each to the DLQ would lose them all from it. So this is retried, the partition stalled and
   * reported by health(), until it succeeds: 'at once' when the record alone is refused.
   */
  private async storedWithout(
    context: BatchContext,
    offset: string,
  ): Promise<'at once' | 'after a wait' | 'abandoned'> {
    const { topic, partition, highWatermark, heartbeat } = context;
    let tries = 0;
    const stored = await this.retrying(context.proceed, context.partitionKey, () => {
      tries += 1;
      return this.handler.handleBatch({
        topic,
        partition,
        items: [],
        nextOffset: offset,
        highWatermark,
        heartbeat,
      });
    });
    if (stored === undefined) return 'abandoned';
    return tries === 1 ? 'at once' : 'after a wait';
  }

  /** Runs `work` until it succeeds, with backoff; undefined when the batch is to be abandoned. */
  private async retrying<R>(
    proceed: () => boolean,
    partitionKey: string,
    work: () => Promise<R>,
  ): Promise<{ result: R } | undefined> {
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      if (!proceed()) return undefined;
      try {
        const result = await work();
        this.failing.delete(partitionKey);
        return { result };
      } catch (error) {
        this.noteFailure(partitionKey, error);
        this.logger.warn(`${partitionKey}: ${describe(error)} (retrying in ${backoff} ms)`);
        await sleep(backoff);
      }
    }
  }

  private noteFailure(partitionKey: string, error: unknown): void {
    const since = this.failing.get(partitionKey)?.since ?? Date.now();
    this.failing.set(partitionKey, { since, message: describe(error) });
  }

  /** The stored offset of a partition of the current assignment (-1 when the handler keeps none). */
  private async floorOf(partitionKey: string): Promise<bigint> {
    if (!this.handler.storedOffsets) return -1n;
    return (await this.assignmentFloors()).get(partitionKey) ?? -1n;
  }

  /** The assignment's stored offsets, loaded once per assignment (again after a failed load). */
  private async assignmentFloors(): Promise<Map<string, bigint>> {
    this.floors ??= this.loadFloors(this.handler.storedOffsets!.bind(this.handler));
    const floors = this.floors;
    try {
      return await floors;
    } catch (error) {
      if (this.floors === floors) this.floors = undefined;
      throw error;
    }
  }

  /**
   * The stored offsets of the assignment, committed to Kafka and sought to before any batch of it
   * runs (every batch awaits this). A crash between storing a batch's results and committing its
   * offset leaves the group's offset behind the stored one; a partition with nothing left to read
   * is never committed again, so tools would show lag that is not there. Committing them here
   * never passes an unhandled record: they are what the handler stored with its results.
   *
   * kafkajs fetches from the group's offset as it was at the join. That is past the stored one
   * when the handler's store was restored from a backup taken before it, and the records between
   * would be passed over, unseen, a quiet partition's for good. So every partition is read from
   * its stored offset: a batch kafkajs fetched before the seek is stale and abandoned (proceed),
   * and where retention deleted the records from there, kafkajs reads from the log's start.
   *
   * An answer that comes after a rebalance is the previous assignment's: it neither commits nor
   * seeks, since some of its partitions are another member's now, and what it read may be older
   * than what that member has stored and committed since (a quiet partition would show lag that
   * is not there). The new assignment loads its own. One whose commit a rebalance overtakes does
   * not seek either; a commit kafkajs itself retries under the new generation is left as a window.
   */
  private async loadFloors(
    storedOffsets: NonNullable<BatchHandler<T>['storedOffsets']>,
  ): Promise<Map<string, bigint>> {
    const assignment = this.assignment;
    const stored = await storedOffsets(assignment);
    const floors = new Map(stored.map((s) => [key(s.topic, s.partition), BigInt(s.offset)]));
    if (this.assignment !== assignment) return floors;
    const started = stored.filter((s) => BigInt(s.offset) > 0n);
    if (started.length > 0) {
      await this.consumer?.commitOffsets(started).catch((error: unknown) => {
        // A rebalance meanwhile: the next assignment commits them again.
        this.logger.warn(
          `group ${this.options.groupId}: stored offsets not committed on assignment (${describe(error)})`,
        );
      });
      if (this.assignment !== assignment) return floors;
    }
    for (const { topic, partition, offset } of stored) {
      this.consumer?.seek({ topic, partition, offset });
    }
    return floors;
  }

  private async deadLetter(record: ConsumedRecord, error: unknown): Promise<void> {
    const target = (this.options.deadLetterTopic ?? ((topic: string) => `${topic}.dlq`))(
      record.topic,
    );
    await this.deadLetters.send(target, [
      {
        key: record.key ?? '',
        value: record.value ?? Buffer.alloc(0),
        headers: {
          ...record.headers,
          'dlq-origin-topic': record.topic,
          'dlq-origin-partition': String(record.partition),
          'dlq-origin-offset': record.offset,
          'dlq-error': describe(error).slice(0, 1_000),
        },
      },
    ]);
    this.metrics.recordsDeadLettered.inc({ group: this.options.groupId, topic: record.topic });
    this.logger.warn(
      `${record.topic}[${record.partition}]@${record.offset} moved to ${target}: ${describe(error)}`,
    );
  }
}

function isRetriableError(error: unknown): boolean {
  return (error as { retriable?: boolean }).retriable === true;
}

function describe(error: unknown): string {
  return String((error as Error)?.message ?? error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function key(topic: string, partition: number): string {
  return `${topic}[${partition}]`;
}

/** Heartbeat answers that mean this member's assignment is no longer its own. */
const MEMBERSHIP_LOST = new Set([
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'FENCED_INSTANCE_ID',
]);

function isMembershipLost(error: unknown): boolean {
  return MEMBERSHIP_LOST.has((error as { type?: string }).type ?? '');
}

/**
 * The record as handlers see it. Its headers become strings only when read: a batch reads them
 * only to link traces or to dead-letter a record, and made for every record up front they cost
 * 1.0 µs each, against 0.15 µs for the whole record now (docs/benchmarks.md). A class, as an
 * object literal with a getter costs 0.8 µs to create.
 */
class ReceivedRecord implements ConsumedRecord {
  readonly offset: string;
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly #message: KafkaMessage;
  #headers?: Record<string, string>;

  constructor(
    readonly topic: string,
    readonly partition: number,
    message: KafkaMessage,
  ) {
    this.offset = message.offset;
    this.key = message.key?.toString() ?? null;
    this.value = message.value;
    this.timestamp = Number(message.timestamp);
    this.#message = message;
  }

  get headers(): Record<string, string> {
    return (this.#headers ??= headerStrings(this.#message.headers));
  }
}

function headerStrings(raw: KafkaMessage['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return headers;
}
