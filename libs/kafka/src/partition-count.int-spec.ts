import { testKafka, uniqueName } from '../../../test/infra/test-infra';
import { createDurableTopic } from '../../../test/infra/topics';
import { waitFor } from '../../../tools/local-infra/wait-for';
import { KafkaSendError } from './kafka.errors';
import { durableProducerSettings } from './producer-settings';
import { ReliableConsumer } from './reliable-consumer';
import { ReliableProducer } from './reliable-producer';

const kafka = testKafka({ clientId: 'partition-count-test' });
const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('a topic whose partition count changed (keys would move)', () => {
  it('stops the producer and the consumer with a clear error, never re-hashing keys silently', async () => {
    const topic = uniqueName('repartitioned');
    await createDurableTopic(kafka, topic, 2);
    const producer = new ReliableProducer(kafka, durableProducerSettings(), undefined, {
      expectedPartitions: { [topic]: 2 },
      metadataMaxAgeMs: 0, // look the count up on every send
    });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const consumer = new ReliableConsumer(
      kafka,
      {
        groupId: uniqueName('repartitioned-group'),
        topics: [topic],
        expectedPartitions: { [topic]: 2 },
        logger: quietLogger,
      },
      { decode: (record) => record.value, handleBatch: () => Promise.resolve() },
      producer,
    );
    try {
      await producer.send(topic, [{ key: 'order-1', value: 'before' }]);

      // Someone adds a partition (kafka-topics --alter --partitions 3).
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

      await consumer.start();
      await waitFor(() => /more partitions than the 2/.test(consumer.health().reason ?? ''), {
        timeoutMs: 60_000,
        description: 'the consumer to refuse the assignment',
      });
      expect(consumer.health()).toMatchObject({ consuming: false });
    } finally {
      await consumer.stop();
      await admin.disconnect();
      await producer.close();
    }
  });
});
