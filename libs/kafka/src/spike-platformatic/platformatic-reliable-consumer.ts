/**
 * SPIKE (issue 12): a reduced ReliableConsumer on @platformatic/kafka 1.x, to judge the API fit.
 * Same handler contract (BatchHandler: decode, handleBatch per partition batch, storedOffsets
 * floor), manual commits of nextOffset after the handler succeeded, DLQ for undecodable records.
 * Left out (see README.md): splitting a failing batch to isolate and dead-letter single records,
 * stall/health detail, metrics of lag, pause/resume, the expectedPartitions refusal.
 */
import {
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import { KafkaMetrics } from '../kafka.metrics';
import type {
  BatchHandler,
  ConsumedBatch,
  KafkaLogger,
  ReliableConsumerOptions,
} from '../reliable-consumer';
import { CONSUMER_DEFAULTS } from '../reliable-consumer';
import type { ConsumedRecord, OutgoingRecord, TopicPartition } from '../kafka.types';

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;
type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

const BACKOFF_START_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export interface DeadLetterSender {
  send(topic: string, records: OutgoingRecord[]): Promise<void>;
}

export class PlatformaticReliableConsumer<T> {
  readonly groupId: string;
  private consumer?: Consumer<Buffer, Buffer, Buffer, Buffer>;
  private stream?: Stream;
  private loop?: Promise<void>;
  private wake?: () => void;
  private stopping = true;
  private assignment: TopicPartition[] = [];
  private floors?: Promise<Map<string, bigint>>;
  private member = false;
  private readonly logger: KafkaLogger;

  constructor(
    private readonly connection: { brokers: string[]; clientId?: string },
    private readonly options: ReliableConsumerOptions,
    private readonly handler: BatchHandler<T>,
    private readonly deadLetters: DeadLetterSender,
    private readonly metrics: KafkaMetrics = new KafkaMetrics(),
  ) {
    this.groupId = options.groupId;
    this.logger = options.logger ?? console;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: this.connection.clientId ?? 'order-ledger',
      bootstrapBrokers: this.connection.brokers,
      groupId: this.options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? CONSUMER_DEFAULTS.sessionTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? CONSUMER_DEFAULTS.heartbeatIntervalMs,
      autocommit: false,
      retries: 5,
      retryDelay: 500,
      maxWaitTime: 500,
    });
    this.consumer = consumer;
    // The only rebalance hook: after the new assignment is known. There is no "revoked" callback
    // that waits for the batch in progress (the client rejoins on its own heartbeat timer).
    consumer.on('consumer:group:join', (payload) => {
      this.assignment = (payload.assignments ?? []).flatMap(({ topic, partitions }) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      this.member = true;
      this.floors = undefined;
    });
    consumer.on('consumer:group:rebalance', () => (this.member = false));
    this.stream = await this.openStream();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.member = false;
    this.wake?.();
    await this.loop;
    await this.stream?.close().catch(() => undefined);
    await (this.consumer?.close(true) as Promise<void> | undefined)?.catch(() => undefined);
  }

  health(): { consuming: boolean; reason?: string } {
    if (this.stopping) return { consuming: false, reason: 'stopped' };
    if (!this.member)
      return { consuming: false, reason: `not (yet) a member of group ${this.groupId}` };
    return { consuming: true };
  }

  private async openStream(): Promise<Stream> {
    const stream = await this.consumer!.consume({
      topics: this.options.topics,
      autocommit: false,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
    });
    // A 'readable' listener switches the stream to paused mode, in which it fetches ahead up to
    // its highWaterMark (the client does not fetch for a stream nobody listens to).
    stream.on('readable', () => this.wake?.());
    stream.on('error', (error: Error) => {
      this.logger.error(`stream of group ${this.groupId} failed: ${error.message}`);
      this.wake?.();
    });
    return stream;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const stream = this.stream!;
      if (stream.destroyed) {
        // "The stream is no longer usable, but the consumer still is": a new one, from the
        // committed offsets.
        this.metrics.consumerRestarts.inc({ group: this.groupId });
        await sleep(500);
        this.stream = await this.openStream().catch((error: Error) => {
          this.logger.error(`reopening the stream failed: ${error.message}`);
          return stream;
        });
        continue;
      }
      const messages: RawMessage[] = [];
      for (
        let message = stream.read() as RawMessage | null;
        message;
        message = stream.read() as RawMessage | null
      ) {
        messages.push(message);
      }
      if (messages.length === 0) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          setTimeout(resolve, 1_000);
        });
        continue;
      }
      // One batch per partition, in offset order, as kafkajs's eachBatch gives them.
      const batches = new Map<string, RawMessage[]>();
      for (const message of messages) {
        const partitionKey = key(message.topic, message.partition);
        const batch = batches.get(partitionKey) ?? [];
        batch.push(message);
        batches.set(partitionKey, batch);
      }
      for (const batch of batches.values()) {
        if (this.stopping) break;
        await this.processBatch(batch);
      }
    }
  }

  private owns(topic: string, partition: number): boolean {
    return this.assignment.some((entry) => entry.topic === topic && entry.partition === partition);
  }

  private async processBatch(batch: RawMessage[]): Promise<void> {
    const { topic, partition } = batch[0];
    const partitionKey = key(topic, partition);
    const proceed = () => !this.stopping && this.owns(topic, partition);
    // Fetched before a rebalance took the partition away: its new owner reads it from the
    // committed offset.
    if (!proceed()) return;
    const floor = await this.retrying(proceed, partitionKey, () => this.floorOf(partitionKey));
    if (floor === undefined) return;
    const messages = batch.filter((message) => message.offset >= floor.result);
    if (messages.length === 0) {
      // The only "seek": the stream's next fetch position, a mutable Map it exposes.
      this.stream!.offsetsToFetch.set(`${topic}:${partition}`, floor.result);
      return;
    }
    const nextOffset = (messages[messages.length - 1].offset + 1n).toString();
    const items: ConsumedBatch<T>['items'] = [];
    for (const message of messages) {
      const record = toRecord(message);
      try {
        items.push({ record, value: this.handler.decode(record) });
      } catch (error) {
        const sent = await this.retrying(proceed, partitionKey, () =>
          this.deadLetter(record, error),
        );
        if (sent === undefined) return;
      }
    }
    const handled = await this.retrying(proceed, partitionKey, () =>
      this.handler.handleBatch({
        topic,
        partition,
        items,
        nextOffset,
        highWatermark: '-1', // not in the client's message; lag would need consumer.getLag()
      }),
    );
    if (handled === undefined || !proceed()) return;
    await this.consumer!.commit({
      offsets: [{ topic, partition, offset: BigInt(nextOffset), leaderEpoch: -1 }],
    });
    this.metrics.recordsProcessed.inc({ group: this.groupId, topic }, messages.length);
  }

  private async retrying<R>(
    proceed: () => boolean,
    partitionKey: string,
    work: () => Promise<R>,
  ): Promise<{ result: R } | undefined> {
    for (let backoff = BACKOFF_START_MS; ; backoff = Math.min(backoff * 2, BACKOFF_MAX_MS)) {
      if (!proceed()) return undefined;
      try {
        return { result: await work() };
      } catch (error) {
        this.logger.warn(
          `${partitionKey}: ${(error as Error).message} (retrying in ${backoff} ms)`,
        );
        await sleep(backoff);
      }
    }
  }

  private async floorOf(partitionKey: string): Promise<bigint> {
    if (!this.handler.storedOffsets) return -1n;
    const storedOffsets = this.handler.storedOffsets.bind(this.handler);
    this.floors ??= storedOffsets(this.assignment).then(
      (stored) => new Map(stored.map((s) => [key(s.topic, s.partition), BigInt(s.offset)])),
    );
    const floors = this.floors;
    try {
      return (await floors).get(partitionKey) ?? -1n;
    } catch (error) {
      if (this.floors === floors) this.floors = undefined;
      throw error;
    }
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
          'dlq-error': String((error as Error)?.message ?? error).slice(0, 1_000),
        },
      },
    ]);
    this.metrics.recordsDeadLettered.inc({ group: this.groupId, topic: record.topic });
  }
}

function toRecord(message: RawMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [name, value] of message.headers) headers[name.toString()] = value?.toString() ?? '';
  return {
    topic: message.topic,
    partition: message.partition,
    offset: message.offset.toString(),
    key: message.key ? message.key.toString() : null,
    value: message.value ?? null,
    headers,
    timestamp: Number(message.timestamp),
  };
}

function key(topic: string, partition: number): string {
  return `${topic}[${partition}]`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
