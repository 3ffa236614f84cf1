import { Registry } from 'prom-client';
import { brokerControl, testKafka, uniqueName } from '../../../test/infra/test-infra';
import { readTopicUntil, sawValues } from '../../../test/infra/topic-reader';
import { createDurableTopic } from '../../../test/infra/topics';
import { withTimeout } from '../../../tools/local-infra/wait-for';
import { KafkaModuleError } from './kafka.errors';
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

  async function counter(name: string): Promise<number> {
    const metric = await registry.getSingleMetric(name)!.get();
    return metric.values
      .filter((value) => value.labels.topic === topic)
      .reduce((sum, value) => sum + value.value, 0);
  }
});

function records(label: string, count: number): OutgoingRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `order-${i % 13}`,
    value: `${label}-${i}`,
  }));
}
