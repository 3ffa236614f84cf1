// The producer half of ../partition-count.int-spec.ts against the spike (the consumer half
// needs a consumer adapter: see README.md).
import { Kafka, logLevel } from 'kafkajs';
import { kafkaBrokers, uniqueName } from '../../../../test/infra/test-infra';
import { readTopicUntil } from '../../../../test/infra/topic-reader';
import { createDurableTopic } from '../../../../test/infra/topics';
import { waitFor } from '../../../../tools/local-infra/wait-for';
import { KafkaSendError } from '../kafka.errors';
import { durableProducerSettings } from '../producer-settings';
import { makeProducer, PRODUCER_UNDER_TEST } from './producers';

const kafka = new Kafka({
  clientId: 'partition-count-test',
  brokers: kafkaBrokers(),
  logLevel: logLevel.NOTHING,
});

describe(`${PRODUCER_UNDER_TEST}: a topic whose partition count changed (keys would move)`, () => {
  it('stops the producer with a clear error, never re-hashing keys silently', async () => {
    const topic = uniqueName('repartitioned');
    await createDurableTopic(kafka, topic, 2);
    const producer = makeProducer(kafka, kafkaBrokers(), durableProducerSettings(), undefined, {
      expectedPartitions: { [topic]: 2 },
      metadataMaxAgeMs: 0,
    });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      await producer.send(topic, [{ key: 'order-1', value: 'before' }]);
      await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
      const refused = await waitFor(
        () =>
          producer.send(topic, [{ key: 'order-1', value: 'after' }]).then(
            () => false,
            (error: unknown) => error,
          ),
        { timeoutMs: 30_000, description: 'the producer to see the third partition' },
      );
      expect(refused).toBeInstanceOf(KafkaSendError);
      expect(refused).toMatchObject({
        retriable: false,
        message: `topic ${topic} has 3 partitions, created with 2: keys would move to other partitions, so sending to it stopped`,
      });
      expect(producer.problems).toEqual([(refused as Error).message]);
    } finally {
      await admin.disconnect();
      await producer.close();
    }
  });

  it('puts each key on the partition kafkajs put it on (read back)', async () => {
    const topic = uniqueName('same_partitions');
    await createDurableTopic(kafka, topic, 6);
    const producer = makeProducer(kafka, kafkaBrokers(), durableProducerSettings());
    await producer.connect();
    const raw = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await raw.connect();
    try {
      const keys = Array.from({ length: 200 }, (_, i) => `order-${i}`);
      await producer.send(
        topic,
        keys.map((key) => ({ key, value: `spike:${key}` })),
      );
      await raw.send({
        topic,
        acks: -1,
        messages: keys.map((key) => ({ key, value: `kafkajs:${key}` })),
      });
      const read = await readTopicUntil(kafka, topic, (r) => r.length >= 400, 'both writes');
      const partitionOf = new Map<string, number>();
      const mismatched: string[] = [];
      for (const record of read) {
        const previous = partitionOf.get(record.key!);
        if (previous !== undefined && previous !== record.partition) mismatched.push(record.key!);
        partitionOf.set(record.key!, record.partition);
      }
      expect(mismatched).toEqual([]);
    } finally {
      await raw.disconnect();
      await producer.close();
    }
  });
});
