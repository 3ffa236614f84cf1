/**
 * SPIKE (issue 12): ReliableProducer's contract on @platformatic/kafka 1.x instead of kafkajs.
 * Not wired into any app; see README.md in this folder for what was measured.
 */
import {
  compatibilityPartitioner,
  GenericError,
  MultipleErrors,
  ProduceAcks,
  Producer,
  type ClusterPartitionMetadata,
  type MessageToProduce,
  type ProduceResult,
} from '@platformatic/kafka';
import { KafkaSendError, KafkaSendTimeoutError } from '../kafka.errors';
import { KafkaMetrics } from '../kafka.metrics';
import type { ProducerSettings } from '../producer-settings';
import type { ReliableProducerOptions } from '../reliable-producer';
import type { OutgoingRecord } from '../kafka.types';

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 2_000;
const METADATA_MAX_AGE_MS = 30_000;

type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

interface TopicPartitions {
  partitions: ClusterPartitionMetadata[];
  fetchedAt: number;
}

export interface PlatformaticProducerConnection {
  brokers: string[];
  clientId?: string;
}

/**
 * Same public surface and guarantees as ReliableProducer (acks=all, idempotent, one send at a
 * time, resolves only when every record is acknowledged by all in-sync replicas, typed errors,
 * sendTimeoutMs deadline, partition-count refusal), on @platformatic/kafka.
 *
 * How the client's behaviour shapes it (read from dist/clients/producer/producer.js, 1.35.0):
 * - One client send() groups the records by leader and sends one Produce request per broker.
 *   A request whose response carries an error for ANY of its partitions fails as a whole
 *   (ResponseError), and none of its partitions' idempotent sequence numbers advance, even
 *   those the broker wrote. Partitions of requests that succeeded are listed in
 *   `error.produced.offsets` and their sequences did advance. So a retry resends exactly the
 *   partitions not listed there, with the same records: a partition the broker already has
 *   is recognised as a duplicate (same producer id, same sequence), never written twice.
 * - After a send that ends without knowing what was written, the client's sequence numbers may
 *   lag behind the broker's: the next send of the same size to such a partition would be taken
 *   for a duplicate and silently dropped. So, as ReliableProducer does, the next send starts a
 *   new client (new producer id, sequences from 0).
 * - The client's internal retries re-target the leader of the first record's partition only,
 *   and on an idempotent producer they default to Number.MAX_SAFE_INTEGER. They are capped
 *   (`retries: 2`), and the deadline-aware retry loop here does the rest with fresh metadata.
 * - The library's default partitioner is NOT Java/kafkajs compatible (murmur2 >>> 0 instead of
 *   & 0x7fffffff): records get an explicit partition from `compatibilityPartitioner`
 *   (partitioner.spike-spec.ts checks it agrees with kafkajs's DefaultPartitioner).
 */
export class PlatformaticReliableProducer {
  private producer?: Producer<Buffer, Buffer, Buffer, Buffer>;
  private inDoubt = false;
  private readonly partitions = new Map<string, TopicPartitions>();
  private readonly refusals = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly connection: PlatformaticProducerConnection,
    private readonly settings: ProducerSettings,
    private readonly metrics: KafkaMetrics = new KafkaMetrics(),
    private readonly options: ReliableProducerOptions = {},
  ) {}

  async connect(): Promise<void> {
    await this.currentProducer();
  }

  async onModuleInit(): Promise<void> {
    const untilReachable = this.options.untilReachable ?? ((work) => work());
    await untilReachable(() => this.connect());
  }

  get problems(): string[] {
    return [...this.refusals.values()];
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  /** As ReliableProducer.send. */
  async send(topic: string, records: OutgoingRecord[]): Promise<void> {
    if (this.closed) throw new KafkaSendError('producer is shut down', false);
    if (records.length === 0) return;
    const deadline = Date.now() + this.settings.sendTimeoutMs;
    const timeout = () =>
      new KafkaSendTimeoutError(topic, records.length, this.settings.sendTimeoutMs);
    const attempt = this.queue.then(() =>
      this.sendUntil(topic, records.map(toMessage(topic)), deadline, timeout),
    );
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

  async close(flushTimeoutMs = this.settings.sendTimeoutMs): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.queue,
      new Promise((resolve) => (timer = setTimeout(resolve, flushTimeoutMs))),
    ]);
    clearTimeout(timer);
    await this.producer?.close().catch(() => undefined);
    this.producer = undefined;
  }

  private async sendUntil(
    topic: string,
    messages: Message[],
    deadline: number,
    timeout: () => KafkaSendTimeoutError,
  ): Promise<void> {
    if (Date.now() >= deadline) throw timeout();
    const producer = await this.currentProducerUntil(topic, deadline);
    const byPartition = await this.partitionsUntil(topic, messages, deadline);
    let pending = [...byPartition.keys()];
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      let failure: unknown;
      try {
        await producer.send({
          messages: pending.flatMap((partition) => byPartition.get(partition)!),
        });
        return;
      } catch (error) {
        failure = error;
      }
      // Partitions of Produce requests that succeeded as a whole: acknowledged by all in-sync
      // replicas, and their sequence numbers advanced. Everything else goes out again, as is.
      const produced = (failure as { produced?: ProduceResult }).produced?.offsets ?? [];
      const acknowledged = new Set(
        produced.filter((entry) => entry.topic === topic).map((entry) => entry.partition),
      );
      const failed = pending.filter((partition) => !acknowledged.has(partition));
      if (failed.length === 0) return;

      const retriable = isRetriable(failure);
      if (!retriable || Date.now() + backoff >= deadline - 1) {
        this.inDoubt = true;
        throw new KafkaSendError(`send to ${topic} failed: ${describe(failure)}`, retriable, {
          cause: failure,
        });
      }
      const retried = failed.reduce(
        (sum, partition) => sum + byPartition.get(partition)!.length,
        0,
      );
      this.metrics.recordsRetried.inc({ topic }, retried);
      pending = failed;
      // A dead leader is not a "stale metadata" error for the client: look the leaders up again.
      producer.clearMetadata();
      await sleep(backoff);
    }
  }

  private async currentProducerUntil(
    topic: string,
    deadline: number,
  ): Promise<Producer<Buffer, Buffer, Buffer, Buffer>> {
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      try {
        return await this.currentProducer();
      } catch (error) {
        const retriable = isRetriable(error);
        if (!retriable || Date.now() + backoff >= deadline - 1) {
          throw new KafkaSendError(`send to ${topic} failed: ${describe(error)}`, retriable, {
            cause: error,
          });
        }
        await sleep(backoff);
      }
    }
  }

  private async currentProducer(): Promise<Producer<Buffer, Buffer, Buffer, Buffer>> {
    if (this.producer && !this.inDoubt) return this.producer;
    await this.producer?.close().catch(() => undefined);
    this.producer = undefined;
    this.inDoubt = false;
    const sendTimeoutMs = this.settings.sendTimeoutMs;
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: this.connection.clientId ?? 'order-ledger',
      bootstrapBrokers: this.connection.brokers,
      idempotent: this.settings.idempotent,
      acks: ProduceAcks.ALL,
      // Never used (every record gets an explicit partition), but the safe one if it were.
      partitioner: compatibilityPartitioner,
      // How long a leader may wait for the in-sync replicas (the Produce request's timeout_ms).
      timeout: Math.max(1, Math.min(sendTimeoutMs, 30_000)),
      requestTimeout: Math.max(1, Math.min(sendTimeoutMs, 30_000)) + 5_000,
      connectTimeout: 5_000,
      retries: 2,
      retryDelay: 100,
      metadataMaxAge: METADATA_MAX_AGE_MS,
    });
    try {
      // Obtains the producer id now: a producer without one would send without idempotence.
      await producer.initIdempotentProducer({});
    } catch (error) {
      await producer.close().catch(() => undefined);
      throw error;
    }
    this.producer = producer;
    return producer;
  }

  private async partitionsUntil(
    topic: string,
    messages: Message[],
    deadline: number,
  ): Promise<Map<number, Message[]>> {
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      try {
        return await this.groupByPartition(topic, messages);
      } catch (error) {
        const retriable = isRetriable(error);
        if (!retriable || Date.now() + backoff >= deadline - 1) {
          throw error instanceof KafkaSendError
            ? error
            : new KafkaSendError(`send to ${topic} failed: ${describe(error)}`, retriable, {
                cause: error,
              });
        }
        await sleep(backoff);
      }
    }
  }

  private async groupByPartition(
    topic: string,
    messages: Message[],
  ): Promise<Map<number, Message[]>> {
    const count = (await this.partitionsOf(topic)).length;
    const groups = new Map<number, Message[]>();
    for (const message of messages) {
      const partition = compatibilityPartitioner(message, message.key) % count;
      const group = groups.get(partition) ?? [];
      group.push({ ...message, partition });
      groups.set(partition, group);
    }
    return groups;
  }

  private async partitionsOf(topic: string): Promise<ClusterPartitionMetadata[]> {
    const refusal = this.refusals.get(topic);
    if (refusal) throw new KafkaSendError(refusal, false);
    const cached = this.partitions.get(topic);
    const maxAge = this.options.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS;
    if (cached && Date.now() - cached.fetchedAt < maxAge) return cached.partitions;

    const producer = await this.currentProducer();
    const metadata = await producer.metadata({ topics: [topic], forceUpdate: true });
    const partitions = metadata.topics.get(topic)!.partitions;
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

function toMessage(topic: string): (record: OutgoingRecord) => Message {
  return (record) => ({
    topic,
    key: Buffer.from(record.key),
    value: Buffer.isBuffer(record.value) ? record.value : Buffer.from(record.value),
    headers: record.headers
      ? new Map(
          Object.entries(record.headers).map(([name, value]) => [
            Buffer.from(name),
            Buffer.from(value),
          ]),
        )
      : undefined,
  });
}

/**
 * Retriable when every error in the chain is (the client's own rule, `canRetry`), except that a
 * request that timed out client-side is retriable too: resending the same batch with the same
 * sequence numbers is safe. A closed client is not.
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof KafkaSendError) return error.retriable;
  const leaves = leafErrors(error);
  if (leaves.length === 0) return false;
  return leaves.every((leaf) => {
    const candidate = leaf as { canRetry?: boolean; closed?: boolean; name?: string };
    if (candidate.closed) return false;
    if (candidate.name === 'TimeoutError') return true;
    return candidate.canRetry === true;
  });
}

function leafErrors(error: unknown): unknown[] {
  if (error && GenericError.isGenericError(error as Error)) {
    if (MultipleErrors.isMultipleErrors(error as Error)) {
      return (error as MultipleErrors).errors.filter(Boolean).flatMap(leafErrors);
    }
    return [error];
  }
  return error ? [error] : [];
}

function describe(error: unknown): string {
  const leaves = leafErrors(error).map((leaf) => {
    const { apiId, message } = leaf as { apiId?: string; message?: string };
    return apiId ?? message ?? String(leaf);
  });
  const unique = [...new Set(leaves)];
  return `${(error as Error)?.message ?? String(error)}${unique.length ? ` [${unique.join(', ')}]` : ''}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
