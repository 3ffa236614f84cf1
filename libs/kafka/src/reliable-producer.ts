import {
  Partitioners,
  type Admin,
  type Kafka,
  type Message,
  type PartitionMetadata,
  type Producer,
} from 'kafkajs';
import { KafkaSendError, KafkaSendTimeoutError } from './kafka.errors';
import { KafkaMetrics } from './kafka.metrics';
import type { ProducerSettings } from './producer-settings';
import type { OutgoingRecord } from './kafka.types';

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 2_000;
const METADATA_MAX_AGE_MS = 30_000;

export interface ReliableProducerOptions {
  /** The partition count each topic was created with; otherwise the first one seen. */
  expectedPartitions?: Record<string, number>;
  /** How often a topic's partitions are looked up again, to notice partitions added. */
  metadataMaxAgeMs?: number;
  /** Wraps connecting at boot (the app retries an unreachable cluster up to a deadline). */
  untilReachable?: <R>(work: () => Promise<R>) => Promise<R>;
}

interface TopicPartitions {
  partitions: PartitionMetadata[];
  fetchedAt: number;
}

/**
 * Sends records with acks=all on an idempotent producer, one request in flight, and reports a
 * send as done only once every in-sync replica has all of its records.
 *
 * Three kafkajs 2.2.4 behaviours shape it (each proven by an int-spec):
 * - A send spanning several brokers that was retried after a leader change could resolve without
 *   the records whose partition moved to a broker that had already answered (kafkajs#1303). The
 *   kafkajs installed here is patched (patches/kafkajs+2.2.4.patch, gate:
 *   kafkajs-leader-change.int-spec.ts), so one send carries every partition, and a send that
 *   failed says which partitions it wrote: only the others are retried.
 * - An idempotent batch gets its sequence numbers when the request is built and they advance
 *   only on success, so two sends to one partition must never overlap: sends run one at a time,
 *   and a caller whose send timed out is answered at once while the next send waits for it.
 * - After a send ended without knowing whether it was written, the next sequence numbers may
 *   no longer match the broker's; the next send starts a new producer id instead.
 */
export class ReliableProducer {
  private producer?: Producer;
  private admin?: Admin;
  /** A send ended in doubt (maybe written, maybe not): start the next one with a new producer id. */
  private inDoubt = false;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private readonly partitions = new Map<string, TopicPartitions>();
  /** Per topic, why sending to it stopped for good (its partition count changed). */
  private readonly refusals = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: ProducerSettings,
    private readonly metrics: KafkaMetrics = new KafkaMetrics(),
    private readonly options: ReliableProducerOptions = {},
  ) {}

  async connect(): Promise<void> {
    await this.currentProducer();
  }

  /** Nest lifecycle: connected at boot, flushed and closed after the HTTP server stopped. */
  async onModuleInit(): Promise<void> {
    const untilReachable = this.options.untilReachable ?? ((work) => work());
    await untilReachable(() => this.connect());
  }

  /** Why it refuses to send, one line per topic; empty while it works. */
  get problems(): string[] {
    return [...this.refusals.values()];
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /**
   * Sends all `records` to `topic`. Resolves once every one is acknowledged by all in-sync
   * replicas; rejects with KafkaSendTimeoutError (retriable) after `sendTimeoutMs`, or with
   * KafkaSendError. A rejected send may still have been written in part: retrying it can
   * duplicate records (same content, same event ids), never lose or reorder them.
   */
  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new KafkaSendError('producer is shut down', false);
    if (records.length === 0) return;
    const deadline = Date.now() + this.settings.sendTimeoutMs;
    const timeout = () =>
      new KafkaSendTimeoutError(topic, records.length, this.settings.sendTimeoutMs);
    // A caller that gave up must not have its records written later, behind its back: a send
    // still queued then never starts, and one under way stops retrying.
    const attempt = this.queue.then(() => this.sendUntil(topic, records, deadline, timeout));
    this.queue = attempt.catch(() => undefined);

    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timeout()), this.settings.sendTimeoutMs);
    });
    try {
      await Promise.race([attempt, timedOut]);
      this.metrics.recordsSent.inc({ topic }, records.length);
    } catch (error) {
      this.metrics.recordsFailed.inc({ topic }, records.length);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the sends already queued (bounded), then disconnects. */
  async close(flushTimeoutMs = this.settings.sendTimeoutMs): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.queue,
      new Promise((resolve) => (timer = setTimeout(resolve, flushTimeoutMs))),
    ]);
    clearTimeout(timer);
    await Promise.all([this.producer?.disconnect(), this.admin?.disconnect()]);
  }

  private async sendUntil(
    topic: string,
    records: OutgoingRecord[],
    deadline: number,
    timeout: () => KafkaSendTimeoutError,
  ): Promise<void> {
    if (Date.now() >= deadline) throw timeout();
    const producer = await this.currentProducer();
    let pending = await this.partitionedUntil(topic, records, deadline);
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      try {
        await producer.send({
          topic,
          messages: pending,
          acks: -1,
          // How long the leader may wait for the in-sync replicas before answering.
          timeout: Math.max(1, deadline - Date.now()),
        });
        return;
      } catch (error) {
        // The patched kafkajs names the partitions it wrote before failing: only the others go
        // again (same records, same producer, so a batch the broker has is a known duplicate).
        const written = new Set(acknowledgedPartitions(error, topic));
        pending = pending.filter((message) => !written.has(message.partition!));
        if (pending.length === 0) return;

        const retriable = isRetriable(error);
        if (!retriable || Date.now() + backoff >= deadline - 1) {
          this.inDoubt = true;
          throw new KafkaSendError(
            `send to ${topic} failed: ${(error as Error).message}`,
            retriable,
            { cause: error },
          );
        }
        this.metrics.recordsRetried.inc({ topic }, pending.length);
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  private async currentProducer(): Promise<Producer> {
    if (this.producer && !this.inDoubt) return this.producer;
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.inDoubt = false;
    const producer = this.kafka.producer({
      idempotent: this.settings.idempotent,
      maxInFlightRequests: this.settings.maxInFlightRequests,
      createPartitioner: Partitioners.DefaultPartitioner,
      // kafkajs retries a little itself; longer outages are retried (and counted) by sendUntil.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    // connect() also obtains the producer id. Kept only once it has one: a producer whose
    // InitProducerId failed would otherwise send without idempotence.
    try {
      await producer.connect();
    } catch (error) {
      await producer.disconnect().catch(() => undefined);
      throw error;
    }
    this.producer = producer;
    return producer;
  }

  /** The records as messages bound to their partitions, retried while the metadata is transiently unavailable (a new topic). */
  private async partitionedUntil(
    topic: string,
    records: OutgoingRecord[],
    deadline: number,
  ): Promise<Message[]> {
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      try {
        return this.partitioned(topic, records, await this.partitionsOf(topic));
      } catch (error) {
        const retriable = isRetriable(error);
        if (!retriable || Date.now() + backoff >= deadline - 1) {
          throw error instanceof KafkaSendError
            ? error
            : new KafkaSendError(
                `send to ${topic} failed: ${(error as Error).message}`,
                retriable,
                {
                  cause: error,
                },
              );
        }
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  /**
   * Each record's partition, as kafkajs's default (Java-compatible murmur2) partitioner picks
   * it, over the partition count checked by partitionsOf (kafkajs's own metadata may be older).
   */
  private partitioned(
    topic: string,
    records: OutgoingRecord[],
    partitionMetadata: PartitionMetadata[],
  ): Message[] {
    return records.map((record) => {
      const message: Message = { key: record.key, value: record.value, headers: record.headers };
      message.partition = this.partitioner({ topic, partitionMetadata, message });
      return message;
    });
  }

  /**
   * The topic's partitions, looked up again every `metadataMaxAgeMs`. Keys are hashed over the
   * partition count: if it changed, an order's next events would land in another partition than
   * its earlier ones, so sending to the topic stops for good with a clear error.
   */
  private async partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    const refusal = this.refusals.get(topic);
    if (refusal) throw new KafkaSendError(refusal, false);
    const cached = this.partitions.get(topic);
    const maxAge = this.options.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS;
    if (cached && Date.now() - cached.fetchedAt < maxAge) return cached.partitions;

    this.admin ??= this.kafka.admin();
    await this.admin.connect();
    const [{ partitions }] = (await this.admin.fetchTopicMetadata({ topics: [topic] })).topics;
    const expected = this.options.expectedPartitions?.[topic] ?? cached?.partitions.length;
    if (expected !== undefined && partitions.length !== expected) {
      const problem = `topic ${topic} has ${partitions.length} partitions, created with ${expected}: keys would move to other partitions, so sending to it stopped`;
      this.refusals.set(topic, problem);
      throw new KafkaSendError(problem, false);
    }
    this.partitions.set(topic, { partitions, fetchedAt: Date.now() });
    return partitions;
  }
}

/** The partitions of `topic` a failed send had written (see patches/kafkajs+2.2.4.patch). */
function acknowledgedPartitions(error: unknown, topic: string): number[] {
  const acknowledged = (error as { acknowledged?: { topicName: string; partition: number }[] })
    .acknowledged;
  return (acknowledged ?? [])
    .filter((result) => result.topicName === topic)
    .map((result) => result.partition);
}

/** kafkajs marks transient errors `retriable`; retries exhausted on one still is. */
function isRetriable(error: unknown): boolean {
  const candidate = error as { retriable?: boolean; name?: string; cause?: unknown };
  if (candidate.retriable) return true;
  if (candidate.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  return candidate.cause !== undefined && isRetriable(candidate.cause);
}
