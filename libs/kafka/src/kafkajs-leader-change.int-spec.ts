import { Partitioners, type Message } from 'kafkajs';
import { brokerControl, testKafka, uniqueName } from '../../../test/infra/test-infra';
import { readTopicUntil, type ReadRecord } from '../../../test/infra/topic-reader';
import { createDurableTopic, recordCount } from '../../../test/infra/topics';
import { waitFor } from '../../../tools/local-infra/wait-for';

const PARTITIONS = 6;
const KEYS = 24;
const RECORDS_PER_SEND = 48;

/**
 * The regression gate for patches/kafkajs+2.2.4.patch (upstream tulios/kafkajs#1303): plain
 * kafkajs, idempotent and acks=all, sends batches spanning every broker while the leader of some
 * partitions is killed. Unpatched, a retry skipped the brokers that had answered before, so the
 * partitions that moved to them were never resent and the send resolved without them. Every
 * record of every send that resolved must be in the topic, in order per key.
 */
describe('kafkajs (as patched) through a leader change', () => {
  const kafka = testKafka({ clientId: 'leader-change-test' });

  it('loses no acknowledged record of a send spanning several brokers when a leader dies', async () => {
    const topic = uniqueName('leader_change');
    await createDurableTopic(kafka, topic, PARTITIONS);
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Patient enough to outlast the dead leader's fencing (broker.session.timeout.ms, 9 s).
      retry: { retries: 40, initialRetryTime: 200, maxRetryTime: 2_000 },
    });
    await producer.connect();

    const acknowledged: string[] = [];
    let sends = 0;
    let stop = false;
    const sending = (async () => {
      while (!stop) {
        const batch = messages(sends++);
        await producer.send({ topic, acks: -1, timeout: 5_000, messages: batch });
        acknowledged.push(...batch.map((message) => String(message.value)));
      }
    })();

    const control = brokerControl();
    const victim = await leaderOfMostPartitions(topic);
    try {
      await waitFor(() => acknowledged.length >= 20 * RECORDS_PER_SEND, {
        timeoutMs: 30_000,
        description: 'sends before the kill',
      });
      await control.stopBroker(victim, 'SIGKILL');
      const atKill = acknowledged.length;
      // Well past the fencing of the dead leader: its partitions have moved and sends go on.
      await waitFor(() => acknowledged.length >= atKill + 40 * RECORDS_PER_SEND, {
        timeoutMs: 90_000,
        description: 'sends after the leader change',
      });
    } finally {
      stop = true;
      await sending.catch(() => undefined);
      await producer.disconnect();
      await control.startBroker(victim);
    }
    await control.waitUntilHealthy(180_000);

    const written = await recordCount(kafka, topic);
    const records = await readTopicUntil(
      kafka,
      topic,
      (read) => read.length >= written,
      `all ${written} written records`,
    );
    const seen = new Set(records.map((record) => record.value));
    const missing = acknowledged.filter((value) => !seen.has(value));
    expect({ acknowledged: acknowledged.length, missing: missing.length }).toEqual({
      acknowledged: acknowledged.length,
      missing: 0,
    });
    expect(outOfOrderKeys(records)).toEqual([]);
  }, 300_000);

  async function leaderOfMostPartitions(topic: string): Promise<number> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [{ partitions }] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
      const led = new Map<number, number>();
      for (const { leader } of partitions) led.set(leader, (led.get(leader) ?? 0) + 1);
      return [...led.entries()].sort((a, b) => b[1] - a[1])[0][0];
    } finally {
      await admin.disconnect();
    }
  }
});

/** Keys spread over every partition, values numbered per send so order per key is checkable. */
function messages(send: number): Message[] {
  return Array.from({ length: RECORDS_PER_SEND }, (_, i) => ({
    key: `order-${i % KEYS}`,
    value: `${send}-${i}`,
  }));
}

/** Keys whose values do not come in send order (a duplicate repeating an older value counts). */
function outOfOrderKeys(records: ReadRecord[]): string[] {
  const last = new Map<string, number>();
  const broken = new Set<string>();
  for (const { key, value } of records) {
    const send = Number(String(value).split('-')[0]);
    if (send < (last.get(key!) ?? -1)) broken.add(key!);
    last.set(key!, send);
  }
  return [...broken];
}
