import { resolve } from 'node:path';
import { type Admin } from 'kafkajs';
import { Pool } from 'pg';
import {
  committedOffsetsByKafkaTools,
  groupMemberCountByKafkaTools,
} from '../../../test/infra/kafka-tools';
import {
  createTestDatabase,
  kafkaBrokers,
  kafkaCredential,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '../../../test/infra/test-infra';
import { exited, startScript, waitForOutput } from '../../../test/infra/script-process';
import { readTopicUntil } from '../../../test/infra/topic-reader';
import {
  committedGroupOffsets,
  createDurableTopic,
  setGroupOffsets,
} from '../../../test/infra/topics';
import { waitFor } from '../../../tools/local-infra/wait-for';
import { durableProducerSettings } from './producer-settings';
import { ReliableConsumer, type BatchHandler } from './reliable-consumer';
import { ReliableProducer } from './reliable-producer';
import type { ConsumedRecord, TopicPartition } from './kafka.types';

const kafka = testKafka({ clientId: 'consumer-test' });
const quietLogger = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('ReliableConsumer on the real cluster', () => {
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
    const consumer = new ReliableConsumer(
      kafka,
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

  /**
   * The values a consumer of `topic` hands its handler until `count` came, the handler storing
   * its offsets elsewhere (as the projector does with its checkpoints) at `stored`.
   */
  async function handledWithStoredOffset(
    topic: string,
    groupId: string,
    stored: string,
    count: number,
    { failedReads = 0 } = {},
  ): Promise<string[]> {
    const handled: string[] = [];
    let reads = 0;
    const handler: BatchHandler<string> = {
      decode: (record) => record.value!.toString(),
      handleBatch(batch) {
        handled.push(...batch.items.map((item) => item.value));
        return Promise.resolve();
      },
      storedOffsets: (assigned) =>
        ++reads <= failedReads
          ? Promise.reject(new Error('the store is unreachable'))
          : Promise.resolve(assigned.map((partition) => ({ ...partition, offset: stored }))),
    };
    const consumer = new ReliableConsumer(
      kafka,
      { groupId, topics: [topic], logger: quietLogger },
      handler,
      producer,
    );
    await consumer.start();
    try {
      // Past the deadline, the caller's expectation says what was handled instead.
      await waitFor(() => handled.length >= count, {
        timeoutMs: 60_000,
        description: `${count} records handled`,
      }).catch(() => undefined);
    } finally {
      await consumer.stop();
    }
    return handled;
  }

  const tenEvents = Array.from({ length: 10 }, (_, i) => ({ key: 'o1', value: `event-${i}` }));

  it('resumes from offsets the handler stored elsewhere, not from the group committed offsets', async () => {
    const topic = await createTopic('stored', 1);
    await producer.send(topic, tenEvents);

    // Its checkpoint says offsets 0..5 are already in its database.
    const handled = await handledWithStoredOffset(topic, uniqueName('stored-group'), '6', 4);

    expect(handled).toEqual(['event-6', 'event-7', 'event-8', 'event-9']);
  });

  it("reads from the handler's stored offset when the group's committed offset is past it (a database restored from a backup)", async () => {
    const topic = await createTopic('restored', 1);
    await producer.send(topic, tenEvents);
    const groupId = uniqueName('restored-group');
    // The group had read all ten; the database, restored from before that, holds 0..2. Nothing
    // new arrives: a fetch from the group's offset would bring nothing, ever.
    await setGroupOffsets(admin, groupId, topic, [{ partition: 0, offset: '10' }]);

    const handled = await handledWithStoredOffset(topic, groupId, '3', 7);

    expect(handled).toEqual([
      'event-3',
      'event-4',
      'event-5',
      'event-6',
      'event-7',
      'event-8',
      'event-9',
    ]);
  });

  it('reads from the stored offset of a quiet partition also when reading the store failed at first', async () => {
    const topic = await createTopic('unread-store', 1);
    await producer.send(topic, tenEvents);
    const groupId = uniqueName('unread-store-group');
    // As above, a database restored from a backup, and now its first read fails: no batch will
    // come to read it again.
    await setGroupOffsets(admin, groupId, topic, [{ partition: 0, offset: '10' }]);

    const handled = await handledWithStoredOffset(topic, groupId, '3', 7, { failedReads: 2 });

    expect(handled).toEqual(tenEvents.slice(3).map((event) => event.value));
  });

  it('takes the records from the start of the log when retention deleted those after the stored offset', async () => {
    const topic = await createTopic('retained', 1);
    await producer.send(topic, tenEvents);
    // The admin's own metadata must know the topic before it can find the partition's leader.
    await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '5' }] });

    // Stored 2, but the log starts at 5 now: nothing between them can be read.
    const handled = await handledWithStoredOffset(topic, uniqueName('retained-group'), '2', 5);

    expect(handled).toEqual(['event-5', 'event-6', 'event-7', 'event-8', 'event-9']);
  });

  it("leaves the group's offsets alone when an earlier assignment's stored offsets arrive after a rebalance", async () => {
    const topic = await createTopic('late-floors', 2);
    await producer.send(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `order-${i}`, value: `event-${i}` })),
    );
    const groupId = uniqueName('late-floors-group');
    // Everything was handled: the store and the group agree, at the end of both partitions.
    const ends = (await admin.fetchTopicOffsets(topic))
      .map(({ partition, high }) => ({ partition, offset: high }))
      .sort((a, b) => a.partition - b.partition);
    await setGroupOffsets(admin, groupId, topic, ends);
    const stored = (assigned: TopicPartition[]) =>
      assigned.map((p) => ({
        ...p,
        offset: ends.find((end) => end.partition === p.partition)!.offset,
      }));
    const memberWith = (storedOffsets: BatchHandler<string>['storedOffsets']) =>
      new ReliableConsumer(
        kafka,
        { groupId, topics: [topic], logger: quietLogger },
        {
          decode: (record) => record.value!.toString(),
          handleBatch: () => Promise.resolve(),
          storedOffsets,
        },
        producer,
      );

    // The first member's first read of its store is slow and answers what the store held long
    // before: offset 1 of each partition.
    let answerSlowRead!: () => void;
    const slowRead = new Promise<void>((resolve) => (answerSlowRead = resolve));
    let firstReads = 0;
    const first = memberWith(async (assigned) => {
      if (firstReads++ > 0) return stored(assigned);
      await slowRead;
      return assigned.map((p) => ({ ...p, offset: '1' }));
    });
    let secondReads = 0;
    const second = memberWith((assigned) => {
      secondReads++;
      return Promise.resolve(stored(assigned));
    });
    const committed = () => committedGroupOffsets(admin, groupId, topic);

    await first.start();
    try {
      await waitFor(() => firstReads === 1, { timeoutMs: 60_000, description: 'the slow read' });
      await second.start();
      await waitFor(() => firstReads >= 2 && secondReads >= 1, {
        timeoutMs: 60_000,
        description: 'a partition each, after the rebalance',
      });
      answerSlowRead();
      // A commit of the late answer lands within a round trip: watch the group's offsets a while.
      const watchUntil = Date.now() + 3_000;
      while (Date.now() < watchUntil) expect(await committed()).toEqual(ends);
    } finally {
      answerSlowRead();
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  describe('a consumer process killed in the middle of a batch', () => {
    let database: TestDatabase;
    let sink: Pool;

    beforeAll(async () => {
      database = await createTestDatabase('crash');
      sink = new Pool({ connectionString: database.url });
      await sink.query(
        `CREATE TABLE handled (partition int, "offset" bigint, value text, deliveries int NOT NULL DEFAULT 1,
                               PRIMARY KEY (partition, "offset"))`,
      );
    });

    afterAll(async () => {
      await sink.end();
      await database.drop();
    });

    it('never has a committed offset past an unhandled record, and handles everything after a restart', async () => {
      const total = 3_000;
      const topic = await createTopic('crash', 3);
      const group = uniqueName('crash-group');
      await producer.send(
        topic,
        Array.from({ length: total }, (_, i) => ({ key: `order-${i % 50}`, value: `event-${i}` })),
      );

      const first = startConsumerProcess(topic, group, { PAUSE_MID_BATCH_AFTER: '1000' });
      await waitForOutput(first, 'MID_BATCH');
      first.child.kill('SIGKILL');
      await exited(first.child);

      const afterCrash = await committedOffsetsByKafkaTools(kafkaBrokers(), group, topic);
      await expectCommittedOffsetsHandled(afterCrash);
      // The batch cut short left handled records beyond its partition's committed offset.
      const { rows } = await sink.query<{ partition: number; offset: string }>(
        'SELECT partition, max("offset") AS offset FROM handled GROUP BY partition',
      );
      expect(rows.some((row) => BigInt(row.offset) >= (afterCrash.get(row.partition) ?? 0n))).toBe(
        true,
      );

      const second = startConsumerProcess(topic, group, {});
      await waitFor(async () => (await count()) === total, {
        timeoutMs: 120_000,
        description: `all ${total} records handled`,
      });
      second.child.kill('SIGTERM'); // graceful: every batch handled above was committed as it ended
      await exited(second.child);

      const final = await committedOffsetsByKafkaTools(kafkaBrokers(), group, topic);
      const ends = await admin.fetchTopicOffsets(topic);
      expect(Object.fromEntries(final)).toEqual(
        Object.fromEntries(ends.map((end) => [end.partition, BigInt(end.high)])),
      );
      await expectCommittedOffsetsHandled(final);
    });

    it('a member frozen past its session timeout (evicted) rejoins and consumes again', async () => {
      await sink.query('TRUNCATE handled');
      const topic = await createTopic('evicted', 2);
      const group = uniqueName('evicted-group');
      const produce = (from: number, n: number) =>
        producer.send(
          topic,
          Array.from({ length: n }, (_, i) => ({
            key: `order-${i % 10}`,
            value: `event-${from + i}`,
          })),
        );
      await produce(0, 300);
      // Slow batches, so that the freeze lands in the middle of one.
      const frozen = startConsumerProcess(topic, group, {
        SESSION_TIMEOUT_MS: '6000',
        RECORD_DELAY_MS: '20',
      });
      const other = startConsumerProcess(topic, group, { SESSION_TIMEOUT_MS: '6000' });
      try {
        await waitFor(async () => (await count()) >= 50, {
          timeoutMs: 60_000,
          description: 'consumption under way',
        });
        frozen.child.kill('SIGSTOP'); // a GC pause, a VM stall: no heartbeat, sockets open
        await waitFor(async () => (await count()) === 300, {
          timeoutMs: 90_000,
          description: 'the other member to take over once the frozen one is evicted',
        });
        frozen.child.kill('SIGCONT');
        // The evicted member finds its commit refused; it must rejoin, not stop for good.
        await waitFor(
          async () => (await groupMemberCountByKafkaTools(kafkaBrokers(), group)) === 2,
          {
            timeoutMs: 60_000,
            description: 'the evicted member back in the group (kafka-consumer-groups)',
          },
        );
        other.child.kill('SIGKILL');
        await exited(other.child);
        await produce(300, 100);
        await waitFor(async () => (await count()) === 400, {
          timeoutMs: 90_000,
          description: 'the once-evicted member, now alone, to handle new records',
        });
      } finally {
        frozen.child.kill('SIGCONT');
        frozen.child.kill('SIGKILL');
        other.child.kill('SIGKILL');
        await Promise.all([exited(frozen.child), exited(other.child)]);
      }
    });

    async function count(): Promise<number> {
      const { rows } = await sink.query<{ n: number }>('SELECT count(*)::int AS n FROM handled');
      return rows[0].n;
    }

    /** Every offset below each partition's committed offset is in the sink. */
    async function expectCommittedOffsetsHandled(committed: Map<number, bigint>): Promise<void> {
      for (const [partition, offset] of committed) {
        const { rows } = await sink.query<{ n: string }>(
          'SELECT count(*) AS n FROM handled WHERE partition = $1 AND "offset" < $2',
          [partition, offset.toString()],
        );
        expect({ partition, handledBelowCommitted: BigInt(rows[0].n) }).toEqual({
          partition,
          handledBelowCommitted: offset,
        });
      }
    }

    function startConsumerProcess(topic: string, group: string, extraEnv: Record<string, string>) {
      return startScript(resolve(__dirname, '../../../test/kafka/consume-into-postgres.ts'), {
        BROKERS: kafkaBrokers().join(','),
        KAFKA_SASL_USERNAME: kafkaCredential().username,
        KAFKA_SASL_PASSWORD: kafkaCredential().password,
        TOPIC: topic,
        GROUP: group,
        DATABASE_URL: database.url,
        ...extraEnv,
      });
    }
  });
});
