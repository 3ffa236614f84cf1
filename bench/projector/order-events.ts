import { randomInt, randomUUID } from 'node:crypto';
import { Partitioners, type Kafka, type PartitionMetadata, type Producer } from 'kafkajs';
import { toOrderEventRecord, type OrderEventEnvelope, timeOrderedUuid } from '@app/order-events';
import { ORDER_PATHS, orderHistory } from '../../test/fixtures/order-histories';
import { createDurableTopic } from '../../test/infra/topics';
import { waitFor } from '../../tools/local-infra/wait-for';

/**
 * Orders in progress at once: each event is the next one of a random order among them. So an
 * order's events span about 2,200 of the log's (2.2 events on average), a short life that keeps
 * the keys written at once close together: it flatters time-ordered ids (docs/benchmarks.md).
 */
const OPEN_ORDERS = 1_000;
/** Records per send: about 1 MB, spread over the partitions. */
const SEND_CHUNK = 2_000;

/**
 * How order ids are made, by BENCH_ORDER_IDS: `time-ordered` (the default) as the
 * command-service makes them (timeOrderedUuid), `random` as it made them before (version 4),
 * for a log written then. Event ids are made as now either way: nothing indexes them here.
 */
export function orderIdsFrom(setting = 'time-ordered'): { name: string; newId: () => string } {
  if (setting === 'time-ordered') return { name: setting, newId: timeOrderedUuid };
  if (setting === 'random') return { name: setting, newId: randomUUID };
  throw new Error(`BENCH_ORDER_IDS is time-ordered (the default) or random, not '${setting}'`);
}

/**
 * `count` valid order events: many orders' histories (orderHistory, a random path each)
 * interleaved the way concurrent orders reach the topic. Histories still open at the end are
 * cut short, which leaves them valid: a prefix of a history is a history.
 */
export function* interleavedOrderEvents(
  count: number,
  newOrderId: () => string = timeOrderedUuid,
): Generator<OrderEventEnvelope> {
  const open: OrderEventEnvelope[][] = [];
  for (let emitted = 0; emitted < count; emitted++) {
    while (open.length < OPEN_ORDERS) {
      open.push(orderHistory(newOrderId(), ORDER_PATHS[randomInt(ORDER_PATHS.length)]));
    }
    const index = randomInt(open.length);
    const history = open[index];
    yield history.shift()!;
    if (history.length === 0) {
      const last = open.pop()!;
      if (index < open.length) open[index] = last;
    }
  }
}

/**
 * A fresh order events topic (the contract's durability) written as the outbox relay writes
 * it: records keyed by order id on kafkajs's default partitioner, acknowledged by all replicas,
 * from an idempotent producer, so each partition holds its orders' events in the order sent.
 */
export class OrderEventsTopic {
  private producer?: Producer;
  private partitionMetadata: PartitionMetadata[] = [];
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(
    private readonly kafka: Kafka,
    readonly name: string,
    readonly partitions: number,
  ) {}

  async create(): Promise<void> {
    await createDurableTopic(this.kafka, this.name, this.partitions);
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      // This admin may ask a broker that has not heard of the topic yet (UNKNOWN_TOPIC_OR_PARTITION).
      this.partitionMetadata = await waitFor(
        async () => {
          const { topics } = await admin.fetchTopicMetadata({ topics: [this.name] });
          const { partitions } = topics[0];
          return partitions.length === this.partitions && partitions.every((p) => p.leader >= 0)
            ? partitions
            : undefined;
        },
        { timeoutMs: 30_000, description: `the leaders of ${this.name}'s partitions` },
      );
    } finally {
      await admin.disconnect();
    }
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await this.producer.connect();
  }

  /** The partition the relay's producer would send an order's events to. */
  partitionOf(orderId: string): number {
    const { name: topic, partitionMetadata } = this;
    return this.partitioner({ topic, partitionMetadata, message: { key: orderId, value: null } });
  }

  /** Sends `events` in order, one chunk at a time; `progress` gets the count sent so far. */
  async append(
    events: Iterable<OrderEventEnvelope>,
    progress: (sent: number) => void = () => undefined,
  ): Promise<void> {
    let chunk: OrderEventEnvelope[] = [];
    let sent = 0;
    for (const event of events) {
      chunk.push(event);
      if (chunk.length === SEND_CHUNK) {
        sent += await this.send(chunk);
        progress(sent);
        chunk = [];
      }
    }
    if (chunk.length > 0) progress(sent + (await this.send(chunk)));
  }

  /** Per partition, the offset after its last record. */
  async endOffsets(): Promise<Map<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.name);
      return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }

  private async send(events: OrderEventEnvelope[]): Promise<number> {
    const messages = events.map((event) => ({
      ...toOrderEventRecord(event),
      partition: this.partitionOf(event.orderId),
    }));
    await this.producer!.send({ topic: this.name, acks: -1, messages });
    return events.length;
  }
}
