import { Kafka, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { brokerControl, kafkaBrokers, uniqueName } from '../../test/infra/test-infra';
import { waitFor, withTimeout } from './wait-for';

/**
 * The cluster the project brings must give the durability the product sells: acks=all writes
 * survive one broker down and are refused, not acknowledged, with two down.
 */
describe('local 3-node Kafka cluster', () => {
  const kafka = new Kafka({
    clientId: 'cluster-test',
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin;
  let topic: string;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topic = uniqueName('durability');
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 6,
          replicationFactor: 3,
          configEntries: [
            { name: 'min.insync.replicas', value: '2' },
            { name: 'unclean.leader.election.enable', value: 'false' },
          ],
        },
      ],
      waitForLeaders: true,
    });
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
    const producer = reliableProducer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const expected = sent.map(asText);
    const received = await consumeUntilSeen(topic, expected);
    expect(sorted(received)).toEqual(sorted(expected));
    expect(orderPerKey(received)).toEqual(orderPerKey(expected));
    // Nothing written twice: the log holds exactly what was sent.
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(sent.length);
  });

  it('acknowledges with one broker down, refuses with two down, and recovers', async () => {
    const control = brokerControl();
    const acknowledged: string[] = [];
    const producer = reliableProducer();
    await producer.connect();
    try {
      await control.stopBroker(3, 'SIGKILL');
      const withOneDown = messages('one-down', 50);
      await withTimeout(producer.send({ topic, acks: -1, messages: withOneDown }), 60_000);
      acknowledged.push(...withOneDown.map(asText));

      await control.stopBroker(2, 'SIGKILL');
      await expect(
        withTimeout(
          producer.send({ topic, acks: -1, timeout: 5_000, messages: messages('two-down', 50) }),
          20_000,
        ),
      ).rejects.toThrow();
    } finally {
      await Promise.all([control.startBroker(2), control.startBroker(3)]);
      await withTimeout(producer.disconnect(), 10_000).catch(() => undefined);
    }
    await control.waitUntilHealthy(180_000);

    const recovered = reliableProducer();
    await recovered.connect();
    const afterRecovery = messages('recovered', 50);
    await recovered.send({ topic, acks: -1, messages: afterRecovery });
    await recovered.disconnect();
    acknowledged.push(...afterRecovery.map(asText));

    // Every acknowledged record is there (the refused batch may be too: refused is not "never written").
    const all = await consumeUntilSeen(topic, acknowledged);
    expect(all).toEqual(expect.arrayContaining(acknowledged));
  });

  /** Retries without end (a dead leader takes seconds to be replaced); callers bound each send. */
  function reliableProducer(): Producer {
    return kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
  }

  /** Reads the topic from the beginning with a fresh group until every expected record arrived. */
  async function consumeUntilSeen(fromTopic: string, expected: string[]): Promise<string[]> {
    const consumer = kafka.consumer({ groupId: uniqueName('reader') });
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: fromTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: ({ message }) => {
        received.push(`${message.key?.toString()}:${message.value?.toString()}`);
        return Promise.resolve();
      },
    });
    const missing = () => {
      const seen = new Set(received);
      return expected.filter((record) => !seen.has(record));
    };
    try {
      await waitFor(() => missing().length === 0, {
        timeoutMs: 90_000,
        description: `${expected.length} records on ${fromTopic} (missing ${missing().length})`,
      });
    } finally {
      await consumer.disconnect();
    }
    return received;
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
