// Two scenarios of ../reliable-consumer.int-spec.ts against PlatformaticReliableConsumer, same
// assertions: DLQ of an undecodable record, and resuming from the handler's stored offsets.
// Plus: a consumer stopped and started again resumes from its committed offset.
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers, uniqueName } from '../../../../test/infra/test-infra';
import { readTopicUntil } from '../../../../test/infra/topic-reader';
import { createDurableTopic } from '../../../../test/infra/topics';
import { waitFor } from '../../../../tools/local-infra/wait-for';
import { durableProducerSettings } from '../producer-settings';
import type { BatchHandler } from '../reliable-consumer';
import type { ConsumedRecord } from '../kafka.types';
import { PlatformaticReliableConsumer } from './platformatic-reliable-consumer';
import { PlatformaticReliableProducer } from './platformatic-reliable-producer';

const kafka = new Kafka({
  clientId: 'consumer-test',
  brokers: kafkaBrokers(),
  logLevel: logLevel.NOTHING,
});
const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('PlatformaticReliableConsumer on the real cluster', () => {
  let producer: PlatformaticReliableProducer;

  beforeAll(async () => {
    producer = new PlatformaticReliableProducer(
      { brokers: kafkaBrokers() },
      durableProducerSettings(),
    );
    await producer.connect();
  });

  afterAll(() => producer.close());

  async function createTopic(prefix: string, partitions: number): Promise<string> {
    const topic = uniqueName(prefix);
    await createDurableTopic(kafka, topic, partitions);
    return topic;
  }

  it('moves an undecodable record to the DLQ with its origin, and handles the records after it', async () => {
    const topic = await createTopic('poison', 1);
    const dlq = await createTopic('poison-dlq', 1);
    await producer.send(topic, [
      { key: 'o1', value: 'ok-1' },
      { key: 'o1', value: 'POISON', headers: { 'correlation-id': 'c-42' } },
      { key: 'o1', value: 'ok-2' },
      { key: 'o1', value: 'ok-3' },
    ]);
    const handled: string[] = [];
    const handler: BatchHandler<string> = {
      decode(record: ConsumedRecord) {
        const text = record.value!.toString();
        if (text === 'POISON') throw new Error('not an order event');
        return text;
      },
      handleBatch(batch) {
        handled.push(...batch.items.map((item) => item.value));
        return Promise.resolve();
      },
    };
    const consumer = new PlatformaticReliableConsumer(
      { brokers: kafkaBrokers() },
      {
        groupId: uniqueName('poison-group'),
        topics: [topic],
        deadLetterTopic: () => dlq,
        logger: quietLogger,
      },
      handler,
      producer,
    );
    await consumer.start();
    try {
      await waitFor(() => handled.length === 3, {
        timeoutMs: 60_000,
        description: 'the good records',
      });
    } finally {
      await consumer.stop();
    }
    expect(handled).toEqual(['ok-1', 'ok-2', 'ok-3']);
    const [deadLetter] = await readTopicUntil(
      kafka,
      dlq,
      (read) => read.length >= 1,
      'the dead letter',
    );
    expect(deadLetter.value).toBe('POISON');
    expect(deadLetter.key).toBe('o1');
    expect(deadLetter.headers).toEqual({
      'correlation-id': 'c-42',
      'dlq-origin-topic': topic,
      'dlq-origin-partition': '0',
      'dlq-origin-offset': '1',
      'dlq-error': 'not an order event',
    });
  });

  it('resumes from offsets the handler stored elsewhere, not from the group committed offsets', async () => {
    const topic = await createTopic('stored', 1);
    await producer.send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: 'o1', value: `event-${i}` })),
    );
    const handled: string[] = [];
    const handler: BatchHandler<string> = {
      decode: (record) => record.value!.toString(),
      handleBatch(batch) {
        handled.push(...batch.items.map((item) => item.value));
        return Promise.resolve();
      },
      storedOffsets: (assigned) =>
        Promise.resolve(assigned.map((partition) => ({ ...partition, offset: '6' }))),
    };
    const consumer = new PlatformaticReliableConsumer(
      { brokers: kafkaBrokers() },
      { groupId: uniqueName('stored-group'), topics: [topic], logger: quietLogger },
      handler,
      producer,
    );
    await consumer.start();
    try {
      await waitFor(() => handled.length >= 4, { timeoutMs: 60_000, description: 'records 6..9' });
    } finally {
      await consumer.stop();
    }
    expect(handled).toEqual(['event-6', 'event-7', 'event-8', 'event-9']);
  });

  it('a consumer started again resumes after its committed offset (6 partitions)', async () => {
    const topic = await createTopic('resume', 6);
    const groupId = uniqueName('resume-group');
    const first = Array.from({ length: 60 }, (_, i) => ({ key: `o${i % 7}`, value: `a-${i}` }));
    const second = Array.from({ length: 60 }, (_, i) => ({ key: `o${i % 7}`, value: `b-${i}` }));
    const handled: string[] = [];
    const handler: BatchHandler<string> = {
      decode: (record) => record.value!.toString(),
      handleBatch(batch) {
        handled.push(...batch.items.map((item) => item.value));
        return Promise.resolve();
      },
    };
    const make = () =>
      new PlatformaticReliableConsumer(
        { brokers: kafkaBrokers() },
        { groupId, topics: [topic], logger: quietLogger },
        handler,
        producer,
      );
    await producer.send(topic, first);
    const one = make();
    await one.start();
    try {
      await waitFor(() => handled.length >= 60, { timeoutMs: 60_000, description: 'first 60' });
    } finally {
      await one.stop();
    }
    await producer.send(topic, second);
    const two = make();
    await two.start();
    try {
      await waitFor(() => handled.length >= 120, { timeoutMs: 90_000, description: 'second 60' });
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    } finally {
      await two.stop();
    }
    expect(handled.sort()).toEqual([...first, ...second].map((record) => record.value).sort());
  });
});
