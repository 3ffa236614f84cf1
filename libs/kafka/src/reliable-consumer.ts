import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
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
}

export interface BatchHandler<T> {
  /** Throws for a record that can never be processed: it goes to the DLQ, the partition moves on. */
  decode(record: ConsumedRecord): T;
  /** Must be idempotent: after a crash or rebalance, a batch not yet committed comes again. */
  handleBatch(batch: ConsumedBatch<T>): Promise<void>;
  /** Offsets stored outside Kafka (for example with the results), to resume from on assignment. */
  storedOffsets?(assigned: TopicPartition[]): Promise<TopicPartitionOffset[]>;
}

export interface KafkaLogger {
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
  /** Which handler errors to retry in place with backoff; the rest restart the consumer. */
  isRetriable?: (error: unknown) => boolean;
  logger?: KafkaLogger;
}

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 5_000;

/**
 * Consumes with auto-commit off: each partition batch is handled, then its offset + 1 is
 * committed, so a committed offset never passes an unhandled record. After a rebalance nothing
 * is committed for a partition no longer owned. Undecodable records go to a dead-letter topic
 * with their origin in headers.
 */
export class ReliableConsumer<T> {
  private readonly consumer: Consumer;
  private readonly logger: KafkaLogger;
  /** Per partition, offsets below this were already processed according to storedOffsets(). */
  private floors = new Map<string, bigint>();

  constructor(
    kafka: Kafka,
    private readonly options: ReliableConsumerOptions,
    private readonly handler: BatchHandler<T>,
    private readonly deadLetters: ReliableProducer,
    private readonly metrics: KafkaMetrics = new KafkaMetrics(),
  ) {
    this.consumer = kafka.consumer({ groupId: options.groupId });
    this.logger = options.logger ?? console;
  }

  async start(): Promise<void> {
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      void this.seekToStoredOffsets(payload.memberAssignment);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.processBatch(payload),
    });
  }

  /** Nest lifecycle: consumption starts once the whole app is up, and stops before the rest. */
  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  pause(topics: TopicPartition[] | string[]): void {
    this.consumer.pause(toTopicPartitions(topics));
  }

  resume(topics: TopicPartition[] | string[]): void {
    this.consumer.resume(toTopicPartitions(topics));
  }

  /** Lets the batch in progress finish and commit, then leaves the group. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }

  private async seekToStoredOffsets(assignment: Record<string, number[]>): Promise<void> {
    if (!this.handler.storedOffsets) return;
    const assigned = Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
    try {
      const stored = await this.handler.storedOffsets(assigned);
      this.floors = new Map(stored.map((s) => [key(s.topic, s.partition), BigInt(s.offset)]));
      for (const { topic, partition, offset } of stored)
        this.consumer.seek({ topic, partition, offset });
    } catch (error) {
      // Without the stored offsets the committed ones are used; the handler is idempotent.
      this.logger.error(`reading stored offsets failed: ${(error as Error).message}`);
    }
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const floor = this.floors.get(key(topic, partition)) ?? -1n;
    const messages = batch.messages.filter((message) => BigInt(message.offset) >= floor);
    if (messages.length === 0) return;
    const lastOffset = messages[messages.length - 1].offset;
    const nextOffset = (BigInt(lastOffset) + 1n).toString();

    const items: ConsumedBatch<T>['items'] = [];
    for (const message of messages) {
      const record = toRecord(topic, partition, message);
      try {
        items.push({ record, value: this.handler.decode(record) });
      } catch (error) {
        await this.deadLetter(record, error);
      }
    }

    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      if (!payload.isRunning() || payload.isStale()) return;
      try {
        if (items.length > 0) {
          await this.handler.handleBatch({
            topic,
            partition,
            items,
            nextOffset,
            highWatermark: batch.highWatermark,
          });
        }
        break;
      } catch (error) {
        const retriable = (this.options.isRetriable ?? isRetriableError)(error);
        this.logger.warn(
          `handling ${topic}[${partition}] up to ${lastOffset} failed (${retriable ? `retrying in ${backoff} ms` : 'not retriable'}): ${(error as Error).message}`,
        );
        if (!retriable) throw error;
        await new Promise((resolve) => setTimeout(resolve, backoff));
        await payload.heartbeat();
      }
    }

    // A partition revoked while we worked belongs to another member now: its commit is theirs.
    if (payload.isStale()) return;
    await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset }]);
    payload.resolveOffset(lastOffset);
    await payload.heartbeat();
    this.metrics.recordsProcessed.inc({ group: this.options.groupId, topic }, messages.length);
    this.metrics.consumerLag.set(
      { group: this.options.groupId, topic, partition: String(partition) },
      Number(BigInt(batch.highWatermark) - BigInt(nextOffset)),
    );
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
          'dlq-error': String((error as Error).message ?? error).slice(0, 1_000),
        },
      },
    ]);
    this.metrics.recordsDeadLettered.inc({ group: this.options.groupId, topic: record.topic });
    this.logger.warn(
      `${record.topic}[${record.partition}]@${record.offset} is undecodable, moved to ${target}: ${(error as Error).message}`,
    );
  }
}

function isRetriableError(error: unknown): boolean {
  return (error as { retriable?: boolean }).retriable === true;
}

function key(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

function toTopicPartitions(topics: TopicPartition[] | string[]) {
  return topics.map((entry) =>
    typeof entry === 'string'
      ? { topic: entry }
      : { topic: entry.topic, partitions: [entry.partition] },
  );
}

function toRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString() ?? null,
    value: message.value,
    headers,
    timestamp: Number(message.timestamp),
  };
}
