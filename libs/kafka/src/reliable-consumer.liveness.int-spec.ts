import { type Admin } from 'kafkajs';
import { committedOffsetsByKafkaTools } from '../../../test/infra/kafka-tools';
import { kafkaBrokers, testKafka, uniqueName } from '../../../test/infra/test-infra';
import { readTopicUntil } from '../../../test/infra/topic-reader';
import { createDurableTopic } from '../../../test/infra/topics';
import { waitFor } from '../../../tools/local-infra/wait-for';
import { KafkaMetrics } from './kafka.metrics';
import { durableProducerSettings } from './producer-settings';
import { ReliableConsumer, type BatchHandler, type ConsumedBatch } from './reliable-consumer';
import { ReliableProducer } from './reliable-producer';

const kafka = testKafka({ clientId: 'liveness-test' });
const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * A sink like the projector's: each batch is applied whole or not at all, together with the
 * partition's next offset, and applying a record twice is harmless.
 */
class TransactionalSink implements BatchHandler<string> {
  readonly applied = new Set<string>();
  readonly storedNextOffset = new Map<number, bigint>();
  calls = 0;

  constructor(private readonly refuse: (batch: ConsumedBatch<string>) => Error | undefined) {}

  decode(record: { value: Buffer | null }): string {
    return record.value!.toString();
  }

  handleBatch(batch: ConsumedBatch<string>): Promise<void> {
    this.calls += 1;
    const refusal = this.refuse(batch);
    if (refusal) return Promise.reject(refusal);
    for (const item of batch.items) this.applied.add(item.value);
    const stored = this.storedNextOffset.get(batch.partition) ?? 0n;
    if (BigInt(batch.nextOffset) > stored) {
      this.storedNextOffset.set(batch.partition, BigInt(batch.nextOffset));
    }
    return Promise.resolve();
  }
}

/** Records the consumer sent to its DLQ, by its own count. */
async function deadLettered(metrics: KafkaMetrics): Promise<number> {
  const { values } = await metrics.recordsDeadLettered.get();
  return values.reduce((sum, value) => sum + value.value, 0);
}

describe('ReliableConsumer keeps consuming whatever the handler throws', () => {
  let admin: Admin;
  let producer: ReliableProducer;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = new ReliableProducer(kafka, durableProducerSettings());
    await producer.connect();
  });

  afterAll(async () => {
    await producer.close();
    await admin.disconnect();
  });

  async function topicWithRecords(prefix: string, values: string[]): Promise<string> {
    const topic = uniqueName(prefix);
    await createDurableTopic(kafka, topic, 2);
    await producer.send(
      topic,
      values.map((value, i) => ({ key: `order-${i % 20}`, value })),
    );
    return topic;
  }

  async function logEnds(topic: string): Promise<Record<number, bigint>> {
    const ends = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(ends.map((end) => [end.partition, BigInt(end.high)]));
  }

  /** Waits until Kafka's tools show the group committed at each partition's end; the ends. */
  async function committedAtLogEnd(group: string, topic: string): Promise<Record<number, bigint>> {
    const ends = await logEnds(topic);
    await waitFor(
      async () => {
        const committed = await committedOffsetsByKafkaTools(kafkaBrokers(), group, topic);
        return Object.entries(ends).every(([p, end]) => committed.get(Number(p)) === end);
      },
      { timeoutMs: 90_000, description: 'committed offsets at the log end' },
    );
    return ends;
  }

  it('isolates the records the handler refuses on their own, dead-letters them and moves on', async () => {
    const values = Array.from({ length: 400 }, (_, i) => `event-${i}`);
    // Poison in the middle of a batch, at its start and as the very last record.
    for (const i of [5, 200, 399]) values[i] = `POISON-${i}`;
    const topic = await topicWithRecords('isolate', values);
    const dlq = uniqueName('isolate-dlq');
    await createDurableTopic(kafka, dlq, 1);
    const group = uniqueName('isolate-group');
    // As PostgreSQL refuses an index entry of a few KB: not transient, the same every time.
    const sink = new TransactionalSink((batch) =>
      batch.items.some((item) => item.value.startsWith('POISON'))
        ? Object.assign(new Error('index row size exceeds btree maximum'), { code: '54000' })
        : undefined,
    );
    const consumer = new ReliableConsumer(
      kafka,
      { groupId: group, topics: [topic], deadLetterTopic: () => dlq, logger: quietLogger },
      sink,
      producer,
    );
    await consumer.start();
    try {
      const ends = await committedAtLogEnd(group, topic);
      expect(Object.fromEntries(sink.storedNextOffset)).toEqual(ends);
      expect(consumer.health()).toEqual({ consuming: true });
    } finally {
      await consumer.stop();
    }
    expect([...sink.applied].sort()).toEqual(values.filter((v) => v.startsWith('event')).sort());

    const deadLetters = await readTopicUntil(
      kafka,
      dlq,
      (read) => read.length >= 3,
      'the three refused records',
    );
    expect(deadLetters.map((record) => record.value).sort()).toEqual([
      'POISON-200',
      'POISON-399',
      'POISON-5',
    ]);
    for (const record of deadLetters) {
      expect(record.headers).toMatchObject({
        'dlq-origin-topic': topic,
        'dlq-error': expect.stringContaining('index row size exceeds btree maximum') as string,
      });
      expect(record.headers['dlq-origin-offset']).toMatch(/^\d+$/);
    }
  });

  it('stalls the partition, dead-letters nothing and says why while the store refuses everything, then applies every record', async () => {
    const values = Array.from({ length: 200 }, (_, i) => `event-${i}`);
    const topic = await topicWithRecords('store-down', values);
    const dlq = uniqueName('store-down-dlq');
    await createDurableTopic(kafka, dlq, 1);
    const group = uniqueName('store-down-group');
    // As PostgreSQL after a failover to a standby: every write refused, empty batches too, by a
    // code that retrying in place does not fix. No record is to blame.
    let storeDown = true;
    const sink = new TransactionalSink(() =>
      storeDown
        ? Object.assign(new Error('cannot execute INSERT in a read-only transaction'), {
            code: '25006',
          })
        : undefined,
    );
    const consumer = new ReliableConsumer(
      kafka,
      {
        groupId: group,
        topics: [topic],
        deadLetterTopic: () => dlq,
        logger: quietLogger,
        stallAfterMs: 2_000,
      },
      sink,
      producer,
    );
    await consumer.start();
    try {
      // Past the split down to single records, where a poison record would go to the DLQ.
      await waitFor(() => sink.calls >= 20, {
        timeoutMs: 60_000,
        description: 'the store refusing batch after batch',
      });
      // Kafka's own count: nothing was written to the DLQ.
      expect(await logEnds(dlq)).toEqual({ 0: 0n });
      expect(sink.applied.size).toBe(0);
      await waitFor(() => !consumer.health().consuming, {
        timeoutMs: 30_000,
        description: 'the consumer reporting the stall',
      });
      expect(consumer.health()).toMatchObject({
        reason: expect.stringContaining('read-only transaction') as string,
      });

      storeDown = false;
      const ends = await committedAtLogEnd(group, topic);
      expect(Object.fromEntries(sink.storedNextOffset)).toEqual(ends);
      expect([...sink.applied].sort()).toEqual([...values].sort());
      // Not read once: idle at the log end, a fetch waits longer on the broker than this
      // consumer's stallAfterMs, so health reads "no fetch" between fetches.
      await waitFor(() => consumer.health().consuming, {
        timeoutMs: 30_000,
        description: 'the consumer reporting itself consuming again',
      });
    } finally {
      await consumer.stop();
    }
    expect(await logEnds(dlq)).toEqual({ 0: 0n });
  });

  it.each([
    ['a TypeError', () => new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a RangeError', () => new RangeError('Invalid time value')],
    [
      'an error marked retriable: false',
      () => Object.assign(new Error('no'), { retriable: false }),
    ],
    [
      'a PostgreSQL refusal',
      () => Object.assign(new Error('duplicate key value'), { code: '23505' }),
    ],
  ])('keeps consuming after %s thrown by the handler', async (_, makeError) => {
    const values = Array.from({ length: 100 }, (_, i) => `event-${i}`);
    const topic = await topicWithRecords('errors', values);
    const group = uniqueName('errors-group');
    const metrics = new KafkaMetrics();
    // Fails the first attempt of every batch: a flaky handler, not a poison record.
    const failedOnce = new Set<string>();
    const sink = new TransactionalSink((batch) => {
      const first = `${batch.partition}:${batch.items[0]?.record.offset}`;
      if (failedOnce.has(first)) return undefined;
      failedOnce.add(first);
      return makeError();
    });
    const consumer = new ReliableConsumer(
      kafka,
      { groupId: group, topics: [topic], logger: quietLogger },
      sink,
      producer,
      metrics,
    );
    await consumer.start();
    try {
      await waitFor(() => sink.applied.size === values.length, {
        timeoutMs: 60_000,
        description: 'every record applied',
      });
      // More arrives after the failures: the consumer is still there to take it.
      await producer.send(topic, [{ key: 'order-1', value: 'later' }]);
      await waitFor(() => sink.applied.has('later'), {
        timeoutMs: 60_000,
        description: 'a record produced after the failures',
      });
      expect(consumer.health()).toEqual({ consuming: true });
    } finally {
      await consumer.stop();
    }
    expect(await deadLettered(metrics)).toBe(0);
  });
});
