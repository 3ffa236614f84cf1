// Leader changes under load: a producer sends continuously to a 6-partition topic (RF 3,
// min.insync.replicas 2) while one broker is SIGKILLed and restarted, then another. Every
// record whose send resolved must be in the topic, once, and each key's acknowledged records
// in the order they were sent. (The scenario in which kafkajs 2.2.4 with one send across
// partitions resolved sends whose records were never written.)
import { Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import { brokerControl, kafkaBrokers, uniqueName } from '../../../../test/infra/test-infra';
import { readTopicUntil, sawValues } from '../../../../test/infra/topic-reader';
import { createDurableTopic } from '../../../../test/infra/topics';
import { KafkaMetrics } from '../kafka.metrics';
import { durableProducerSettings } from '../producer-settings';
import type { OutgoingRecord } from '../kafka.types';
import { makeProducer, PRODUCER_UNDER_TEST } from './producers';

const CHUNK = 300;
const KEYS = 60;
const DOWN_MS = 15_000;

describe(`${PRODUCER_UNDER_TEST} reliable producer across leader changes`, () => {
  const kafka = new Kafka({
    clientId: 'leader-change-test',
    brokers: kafkaBrokers(),
    logLevel: logLevel.NOTHING,
  });

  it('loses no acknowledged record, duplicates none, keeps per-key order while brokers crash and return', async () => {
    const control = brokerControl();
    const registry = new Registry();
    const metrics = new KafkaMetrics(registry);
    const topic = uniqueName('leader_change');
    await createDurableTopic(kafka, topic, 6);
    const producer = makeProducer(
      kafka,
      kafkaBrokers(),
      durableProducerSettings({ sendTimeoutMs: 30_000 }),
      metrics,
    );
    await producer.connect();

    const acknowledged: string[] = [];
    const failures: string[] = [];
    let sends = 0;
    let stop = false;
    const sender = (async () => {
      for (let chunk = 0; !stop; chunk++) {
        const batch = records(chunk);
        sends += 1;
        try {
          await producer.send(topic, batch);
          acknowledged.push(...batch.map((record) => String(record.value)));
        } catch (error) {
          failures.push(`chunk ${chunk}: ${(error as Error).message}`);
        }
      }
    })();
    const phase = (label: string) =>
      console.log(
        `${label}: ${sends} sends, ${acknowledged.length} acknowledged, ${failures.length} failed`,
      );

    try {
      await sleep(3_000);
      phase('before');
      await control.stopBroker(2, 'SIGKILL');
      await sleep(DOWN_MS);
      phase('broker 2 down');
      await control.startBroker(2);
      await control.waitUntilHealthy(180_000);
      phase('broker 2 back, in sync');
      await control.stopBroker(1, 'SIGKILL');
      await sleep(DOWN_MS);
      phase('broker 1 down');
      await control.startBroker(1);
      await control.waitUntilHealthy(180_000);
      await sleep(3_000);
      phase('broker 1 back, in sync');
    } finally {
      stop = true;
      await sender;
      await Promise.all([control.startBroker(1), control.startBroker(2)]);
      await producer.close();
    }
    console.log(
      `sent ${sends} chunks of ${CHUNK}: ${acknowledged.length} records acknowledged, ${failures.length} sends failed\n${failures.join('\n')}`,
    );
    const retried = (
      await registry.getSingleMetric('kafka_producer_records_retried_total')!.get()
    ).values.reduce((sum, value) => sum + value.value, 0);
    console.log(`records resent by the producer's own retries: ${retried}`);
    expect(acknowledged.length).toBeGreaterThan(0);

    const read = await readTopicUntil(
      kafka,
      topic,
      sawValues(acknowledged),
      'every acknowledged record',
      120_000,
    );
    const values = read.map((record) => record.value!);
    const seen = new Set(acknowledged);
    const duplicates = values.length - new Set(values).size;
    const extra = new Set(values.filter((value) => !seen.has(value))).size;
    console.log(
      `read ${values.length} records: ${duplicates} duplicates, ${extra} written from failed sends`,
    );
    expect(duplicates).toBe(0);

    // Per key, the acknowledged records appear in the topic in the order they were sent.
    const sequence = (value: string) => Number(value.split('-')[1]);
    const byKey = new Map<string, number[]>();
    for (const record of read) {
      if (!seen.has(record.value!)) continue;
      const list = byKey.get(record.key!) ?? [];
      list.push(sequence(record.value!));
      byKey.set(record.key!, list);
    }
    const outOfOrder = [...byKey].filter(([, list]) =>
      list.some((n, i) => i > 0 && n < list[i - 1]),
    );
    expect(outOfOrder.map(([key]) => key)).toEqual([]);
  }, 600_000);
});

function records(chunk: number): OutgoingRecord[] {
  return Array.from({ length: CHUNK }, (_, i) => {
    const n = chunk * CHUNK + i;
    return { key: `order-${n % KEYS}`, value: `v-${n}` };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
