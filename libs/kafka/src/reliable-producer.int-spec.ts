import { Registry } from 'prom-client';
import { brokerControl, testKafka, uniqueName } from '../../../test/infra/test-infra';
import { readTopicUntil, sawValues } from '../../../test/infra/topic-reader';
import { createDurableTopic, recordCount } from '../../../test/infra/topics';
import { waitFor, withTimeout } from '../../../tools/local-infra/wait-for';
import { KafkaModuleError } from './kafka.errors';
import { createTopicsAndWait } from './topic-admin';
import { KafkaMetrics } from './kafka.metrics';
import { durableProducerSettings } from './producer-settings';
import { ReliableProducer } from './reliable-producer';
import type { OutgoingRecord } from './kafka.types';

// A crashed leader is replaced once the controller fences it (broker.session.timeout.ms, 9 s by
// default), so sends that must succeed get the default bound; the refused send a shorter one.
const SEND_TIMEOUT_MS = 30_000;
const SHORT_SEND_TIMEOUT_MS = 8_000;

describe('ReliableProducer with brokers down', () => {
  const kafka = testKafka({ clientId: 'producer-test' });
  const registry = new Registry();
  const metrics = new KafkaMetrics(registry);
  let topic: string;

  beforeAll(async () => {
    topic = uniqueName('outage');
    await createDurableTopic(kafka, topic, 6);
  });

  it('acknowledges with one broker down, fails with a typed retriable error with two down, reports only what was acknowledged', async () => {
    const control = brokerControl();
    const producer = new ReliableProducer(
      kafka,
      durableProducerSettings({ sendTimeoutMs: SEND_TIMEOUT_MS }),
      metrics,
    );
    const impatient = new ReliableProducer(
      kafka,
      durableProducerSettings({ sendTimeoutMs: SHORT_SEND_TIMEOUT_MS }),
      metrics,
    );
    await Promise.all([producer.connect(), impatient.connect()]);
    const acknowledged: OutgoingRecord[] = [];
    let refusal: unknown;
    try {
      await control.stopBroker(3, 'SIGKILL');
      const oneDown = records('one-down', 100);
      await producer.send(topic, oneDown);
      acknowledged.push(...oneDown);

      await control.stopBroker(2, 'SIGKILL');
      refusal = await withTimeout(
        impatient.send(topic, records('two-down', 100)).then(
          () => 'acknowledged',
          (error: unknown) => error,
        ),
        SHORT_SEND_TIMEOUT_MS + 5_000,
        'the send timeout to surface',
      );
    } finally {
      await Promise.all([control.startBroker(2), control.startBroker(3)]);
    }
    expect(refusal).toBeInstanceOf(KafkaModuleError);
    expect((refusal as KafkaModuleError).retriable).toBe(true);

    await control.waitUntilHealthy(180_000);
    const recovered = records('recovered', 100);
    await producer.send(topic, recovered);
    acknowledged.push(...recovered);
    await Promise.all([producer.close(), impatient.close()]);

    expect(await counter('kafka_producer_records_sent_total')).toBe(200);
    expect(await counter('kafka_producer_records_failed_total')).toBe(100);
    // Every record reported as sent is in the topic (the refused ones may be too: refused is not
    // "never written").
    const values = acknowledged.map((record) => String(record.value));
    await readTopicUntil(kafka, topic, sawValues(values), 'every acknowledged record');
  }, 300_000);

  it('through a leader change writes every acknowledged record exactly once', async () => {
    const control = brokerControl();
    const changing = uniqueName('leader_change');
    await createDurableTopic(kafka, changing, 6);
    const producer = new ReliableProducer(
      kafka,
      durableProducerSettings({ sendTimeoutMs: SEND_TIMEOUT_MS }),
      metrics,
    );
    await producer.connect();
    const acknowledged: string[] = [];
    let stop = false;
    const sending = (async () => {
      for (let send = 0; !stop; send++) {
        const batch = records(`send-${send}`, 48);
        await producer.send(changing, batch);
        acknowledged.push(...batch.map((record) => String(record.value)));
      }
    })();
    const victim = 2;
    try {
      await waitFor(() => acknowledged.length >= 1_000, {
        timeoutMs: 30_000,
        description: 'sends before the kill',
      });
      await control.stopBroker(victim, 'SIGKILL');
      const atKill = acknowledged.length;
      // Past the dead leader's fencing: its partitions have moved and sends go on.
      await waitFor(() => acknowledged.length >= atKill + 2_000, {
        timeoutMs: 90_000,
        description: 'sends after the leader change',
      });
    } finally {
      stop = true;
      await sending;
      await producer.close();
      await control.startBroker(victim);
    }
    await control.waitUntilHealthy(180_000);

    const written = await recordCount(kafka, changing);
    const read = await readTopicUntil(
      kafka,
      changing,
      (sofar) => sofar.length >= written,
      `all ${written} written records`,
    );
    const copies = new Map<string, number>();
    for (const { value } of read) copies.set(value!, (copies.get(value!) ?? 0) + 1);
    expect([...copies.entries()].filter(([, count]) => count > 1)).toEqual([]);
    expect(read).toHaveLength(acknowledged.length);
  }, 300_000);

  it('when some partitions of a send are written and others refused, resends only the refused ones', async () => {
    const control = brokerControl();
    // Two replicas each (Kafka wants one count for all): partitions 0-2 on brokers 1 and 2, 3-5 on
    // 2 and 3. With broker 3 stopped, 3-5 are below min.insync.replicas (NOT_ENOUGH_REPLICAS)
    // while 0-2 are written, some of each in broker 2's answer.
    const split = uniqueName('split');
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsAndWait(admin, [
      {
        topic: split,
        replicaAssignment: [
          { partition: 0, replicas: [1, 2] },
          { partition: 1, replicas: [2, 1] },
          { partition: 2, replicas: [1, 2] },
          { partition: 3, replicas: [2, 3] },
          { partition: 4, replicas: [3, 2] },
          { partition: 5, replicas: [2, 3] },
        ],
        configEntries: [{ name: 'min.insync.replicas', value: '2' }],
      },
    ]);
    await admin.disconnect();
    const producer = new ReliableProducer(
      kafka,
      durableProducerSettings({ sendTimeoutMs: 120_000 }),
      metrics,
    );
    await producer.connect();
    const sent = records('split', 120);
    await control.stopBroker(3, 'SIGTERM');
    let restarted = false;
    try {
      const sending = producer.send(split, sent);
      // The refused partitions came back to the producer at least once.
      await waitFor(
        async () => (await counter('kafka_producer_records_retried_total', split)) > 0,
        { timeoutMs: 60_000, description: 'a resend of the refused partitions' },
      );
      await control.startBroker(3);
      restarted = true;
      await sending;
    } finally {
      if (!restarted) await control.startBroker(3);
      await producer.close();
    }
    await control.waitUntilHealthy(180_000);

    const written = await recordCount(kafka, split);
    const read = await readTopicUntil(
      kafka,
      split,
      (sofar) => sofar.length >= written,
      `all ${written} written records`,
    );
    expect(new Set(read.map((record) => record.partition)).size).toBe(6);
    expect(read.map((record) => record.value).sort()).toEqual(
      sent.map((record) => String(record.value)).sort(),
    );
  }, 300_000);

  async function counter(name: string, ofTopic = topic): Promise<number> {
    const metric = await registry.getSingleMetric(name)!.get();
    return metric.values
      .filter((value) => value.labels.topic === ofTopic)
      .reduce((sum, value) => sum + value.value, 0);
  }
});

function records(label: string, count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `order-${i % 13}`,
    value: `${label}-${i}`,
  }));
}
