import { type Admin, type Message, type Producer } from 'kafkajs';
import { testKafka, uniqueName } from '../../test/infra/test-infra';
import { readTopicUntil, sawValues } from '../../test/infra/topic-reader';
import { createDurableTopic } from '../../test/infra/topics';

/**
 * The cluster the project brings: three brokers, full replication, and an idempotent acks=all
 * round trip. Brokers going down are exercised in libs/kafka: raw kafkajs through a leader change
 * (kafkajs-leader-change.int-spec.ts, the gate of our kafkajs patch) and the reliable producer
 * (reliable-producer.int-spec.ts).
 */
describe('local 3-node Kafka cluster', () => {
  const kafka = testKafka({ clientId: 'cluster-test' });
  let admin: Admin;
  let topic: string;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topic = uniqueName('durability');
    await createDurableTopic(kafka, topic, 6);
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  it('has three brokers and replicates the topic to all of them', async () => {
    const { brokers } = await admin.describeCluster();
    expect(brokers.map((broker) => broker.nodeId).sort()).toEqual([1, 2, 3]);
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata.partitions).toHaveLength(6);
    for (const partition of metadata.partitions) {
      expect(partition.replicas).toHaveLength(3);
      expect(partition.isr).toHaveLength(3);
    }
  });

  it('consumes back exactly what an idempotent acks=all producer sent, in order per key', async () => {
    const sent = messages('round-trip', 600);
    const producer = idempotentProducer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const expected = sent.map(asText);
    const received = (
      await readTopicUntil(
        kafka,
        topic,
        sawValues(sent.map((m) => String(m.value))),
        'all sent records',
      )
    ).map((record) => `${record.key}:${record.value}`);
    expect(sorted(received)).toEqual(sorted(expected));
    expect(orderPerKey(received)).toEqual(orderPerKey(expected));
    // Nothing written twice: the log holds exactly what was sent.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(sent.length);
  });

  function idempotentProducer(): Producer {
    return kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  }
});

function messages(label: string, count: number): Message[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `order-${i % 17}`,
    value: `${label}-${String(i).padStart(4, '0')}`,
  }));
}

function asText(message: Message): string {
  return `${String(message.key)}:${String(message.value)}`;
}

function sorted(values: string[]): string[] {
  return [...values].sort();
}

/** key → its values in arrival order; Kafka promises order per partition, hence per key. */
function orderPerKey(records: string[]): Record<string, string[]> {
  const byKey: Record<string, string[]> = {};
  for (const record of records) {
    const [key, value] = record.split(':');
    (byKey[key] ??= []).push(value);
  }
  return byKey;
}
