import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { INestMicroservice } from '@nestjs/common';
import type { Admin } from 'kafkajs';
import { committedOffsetsByKafkaTools } from '../../../test/infra/kafka-tools';
import {
  kafkaBrokers,
  kafkaCredential,
  testKafka,
  uniqueName,
} from '../../../test/infra/test-infra';
import { exited, startScript, waitForOutput } from '../../../test/infra/script-process';
import { readTopicUntil } from '../../../test/infra/topic-reader';
import { committedGroupOffsets, createDurableTopic } from '../../../test/infra/topics';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { KafkaBatchContext, KafkaBatchItem } from './kafka-batch.context';
import { durableProducerSettings } from './producer-settings';
import { createReliableKafkaMicroservice } from './reliable-kafka.server';
import { ReliableProducer } from './reliable-producer';
import {
  Probe,
  SinkError,
  transportTestApp,
  type BatchSink,
} from '../../../test/kafka/transport-test-app';

const kafka = testKafka({ clientId: 'transport-test' });

describe('ReliableKafkaServer: @EventPattern batch handlers on the real cluster', () => {
  let admin: Admin;
  let producer: ReliableProducer;
  const apps: INestMicroservice[] = [];

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = new ReliableProducer(kafka, durableProducerSettings());
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
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

  async function startApp(options: {
    topic: string;
    groupId: string;
    sink: BatchSink;
    probe: Probe;
    deadLetterTopic?: string;
  }): Promise<INestMicroservice> {
    const app = await createReliableKafkaMicroservice(
      transportTestApp({
        brokers: kafkaBrokers(),
        sasl: kafkaCredential(),
        partitions: 1,
        ...options,
      }),
      { logger: false },
    );
    apps.push(app);
    await app.listen();
    return app;
  }

  /** The group's committed offset of partition 0, by kafkajs's admin ('-1': none). */
  async function committed(groupId: string, topic: string): Promise<string> {
    const offsets = await committedGroupOffsets(admin, groupId, topic);
    return offsets.find((p) => p.partition === 0)?.offset ?? '-1';
  }

  it('commits a batch only after the handler resolved, with the guard, the interceptor and the pipe around it', async () => {
    const topic = await createTopic('transport-commit', 1);
    const groupId = uniqueName('transport-commit-group');
    await producer.send(
      topic,
      ['a', 'b', 'c', 'd', 'e'].map((value) => ({ key: 'o1', value })),
    );

    const probe = new Probe();
    const handled: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((done) => (release = done));
    let held: { nextOffset: string; committedWhileHeld?: string } | undefined;
    const sink: BatchSink = {
      async handle(items: KafkaBatchItem<string>[], context: KafkaBatchContext) {
        if (!held) {
          held = { nextOffset: context.getNextOffset() };
          await gate;
          // The last moment before the handler resolves: still nothing committed.
          held.committedWhileHeld = await committed(groupId, topic);
        }
        handled.push(...items.map((item) => item.value));
      },
    };
    await startApp({ topic, groupId, sink, probe });

    await waitFor(() => held !== undefined, { timeoutMs: 60_000, description: 'a first batch' });
    expect(await committed(groupId, topic)).toBe('-1');
    expect(probe.seen.map((entry) => entry.by)).toEqual(['guard', 'before', 'pipe']);
    release();

    await waitFor(async () => (await committed(groupId, topic)) === '5', {
      timeoutMs: 30_000,
      description: 'offset 5 committed',
    });
    expect(held!.committedWhileHeld).toBe('-1');
    expect(handled).toEqual(['a', 'b', 'c', 'd', 'e']);
    // The batch went through the guard, then the interceptor, the pipe, the handler, and the
    // interceptor saw it complete.
    const first = probe.seen.filter((entry) => entry.nextOffset === held!.nextOffset);
    expect(first.map((entry) => entry.by)).toEqual(['guard', 'before', 'pipe', 'after']);
    expect(probe.seen.filter((entry) => entry.by === 'filter')).toEqual([]);
  });

  it('hands a handler error to the exception filter, then retries the batch, committing only once it succeeded', async () => {
    const topic = await createTopic('transport-error', 1);
    const groupId = uniqueName('transport-error-group');
    await producer.send(topic, [{ key: 'o1', value: 'only' }]);

    const probe = new Probe();
    const calls: { values: string[]; committedAtCall: string }[] = [];
    const sink: BatchSink = {
      async handle(items) {
        calls.push({
          values: items.map((item) => item.value),
          committedAtCall: await committed(groupId, topic),
        });
        // Transient, as a database outage is: retried as long as it lasts, never dead-lettered
        // (which the consumer would do to a single record failing 3 times for another reason).
        if (calls.length <= 4) {
          throw new SinkError('database away', true);
        }
      },
    };
    await startApp({ topic, groupId, sink, probe });

    await waitFor(async () => (await committed(groupId, topic)) === '1', {
      timeoutMs: 60_000,
      description: 'the record committed after the retries',
    });
    expect(calls).toEqual(
      Array.from({ length: 5 }, () => ({ values: ['only'], committedAtCall: '-1' })),
    );
    const filtered = probe.seen.filter((entry) => entry.by === 'filter');
    expect(filtered).toEqual(
      Array.from({ length: 4 }, () => ({
        by: 'filter',
        partition: 0,
        nextOffset: '1',
        error: 'database away',
      })),
    );
  });

  it("takes a guard's refusal as a failed batch: the refused record goes to the DLQ, the rest is handled", async () => {
    const topic = await createTopic('transport-guard', 1);
    const deadLetterTopic = await createTopic('transport-guard-dlq', 1);
    const groupId = uniqueName('transport-guard-group');
    await producer.send(
      topic,
      ['a', 'b', 'FORBIDDEN', 'c', 'd'].map((value) => ({ key: 'o1', value })),
    );

    const probe = new Probe();
    const handled: string[] = [];
    const sink: BatchSink = {
      handle(items) {
        handled.push(...items.map((item) => item.value));
        return Promise.resolve();
      },
    };
    await startApp({ topic, groupId, sink, probe, deadLetterTopic });

    await waitFor(async () => (await committed(groupId, topic)) === '5', {
      timeoutMs: 60_000,
      description: 'the partition past the refused record',
    });
    expect(handled).toEqual(['a', 'b', 'c', 'd']);
    const [deadLetter] = await readTopicUntil(
      kafka,
      deadLetterTopic,
      (read) => read.length >= 1,
      'the refused record in the DLQ',
    );
    expect(deadLetter.value).toBe('FORBIDDEN');
    expect(deadLetter.headers).toMatchObject({
      'dlq-origin-offset': '2',
      'dlq-error': 'the handler refuses it: Forbidden resource',
    });
    expect(probe.seen.filter((entry) => entry.by === 'guard').length).toBeGreaterThan(1);
  });

  it('passes an error no filter of the app catches to the consumer as thrown, so a transient one is never dead-lettered', async () => {
    const topic = await createTopic('transport-passthrough', 1);
    const deadLetterTopic = await createTopic('transport-passthrough-dlq', 1);
    const groupId = uniqueName('transport-passthrough-group');
    await producer.send(topic, [{ key: 'o1', value: 'only' }]);

    const probe = new Probe();
    const calls: string[][] = [];
    const sink: BatchSink = {
      handle(items) {
        calls.push(items.map((item) => item.value));
        // Not a SinkError: only the transport's pass-through filter is there. Nest's default
        // would turn it into {status, message} and lose `retriable`: a single record failing
        // 3 times non-transiently goes to the DLQ, and the handler is then called with nothing.
        if (calls.length <= 4) {
          return Promise.reject(Object.assign(new Error('lock timeout'), { retriable: true }));
        }
        return Promise.resolve();
      },
    };
    await startApp({ topic, groupId, sink, probe, deadLetterTopic });

    await waitFor(async () => (await committed(groupId, topic)) === '1', {
      timeoutMs: 60_000,
      description: 'the record committed after the retries',
    });
    expect(calls).toEqual(Array.from({ length: 5 }, () => ['only']));
    expect(probe.seen.filter((entry) => entry.by === 'filter')).toEqual([]);
  });

  it('loses nothing when its process is SIGKILLed mid-batch: every committed offset was handled, a restart handles the rest', async () => {
    const total = 3_000;
    const partitions = 3;
    const topic = await createTopic('transport-crash', partitions);
    const group = uniqueName('transport-crash-group');
    const handledFile = join(mkdtempSync(join(tmpdir(), 'transport-crash-')), 'handled.txt');
    await producer.send(
      topic,
      Array.from({ length: total }, (_, i) => ({ key: `order-${i % 50}`, value: `event-${i}` })),
    );

    const first = startAppProcess({ topic, group, partitions, handledFile, pauseAfter: 1_000 });
    try {
      await waitForOutput(first, 'MID_BATCH');
    } finally {
      first.child.kill('SIGKILL');
      await exited(first.child);
    }

    // Kafka's own tool, from outside: nothing committed past a record the handler had not seen.
    const afterCrash = await committedOffsetsByKafkaTools(kafkaBrokers(), group, topic);
    expectHandledBelow(afterCrash, handled(handledFile));
    // The batch cut short had handled records beyond its partition's committed offset.
    const handledAtCrash = handled(handledFile);
    expect(
      [...handledAtCrash].some(([partition, offsets]) =>
        [...offsets].some((offset) => offset >= (afterCrash.get(partition) ?? 0n)),
      ),
    ).toBe(true);

    const second = startAppProcess({ topic, group, partitions, handledFile });
    try {
      await waitFor(() => countDistinct(handled(handledFile)) === total, {
        timeoutMs: 120_000,
        description: `all ${total} records handled`,
      });
    } finally {
      second.child.kill('SIGTERM'); // graceful: every batch handled above was committed as it ended
      await exited(second.child);
    }
    expect(second.child.exitCode).toBe(0);

    const final = await committedOffsetsByKafkaTools(kafkaBrokers(), group, topic);
    const ends = await admin.fetchTopicOffsets(topic);
    expect(Object.fromEntries(final)).toEqual(
      Object.fromEntries(ends.map((end) => [end.partition, BigInt(end.high)])),
    );
    expectHandledBelow(final, handled(handledFile));
  });
});

/** Partition → the offsets the test app wrote to `file`. */
function handled(file: string): Map<number, Set<bigint>> {
  const byPartition = new Map<number, Set<bigint>>();
  if (!existsSync(file)) return byPartition;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const [partition, offset] = line.split(' ');
    const offsets = byPartition.get(Number(partition)) ?? new Set<bigint>();
    offsets.add(BigInt(offset));
    byPartition.set(Number(partition), offsets);
  }
  return byPartition;
}

function countDistinct(byPartition: Map<number, Set<bigint>>): number {
  return [...byPartition.values()].reduce((sum, offsets) => sum + offsets.size, 0);
}

/** Every offset below each partition's committed offset was handled. */
function expectHandledBelow(
  committed: Map<number, bigint>,
  byPartition: Map<number, Set<bigint>>,
): void {
  for (const [partition, offset] of committed) {
    const offsets = byPartition.get(partition) ?? new Set<bigint>();
    const missing: string[] = [];
    for (let o = 0n; o < offset; o++) if (!offsets.has(o)) missing.push(o.toString());
    expect({ partition, committed: offset, unhandledBelow: missing.slice(0, 10) }).toEqual({
      partition,
      committed: offset,
      unhandledBelow: [],
    });
  }
}

function startAppProcess(options: {
  topic: string;
  group: string;
  partitions: number;
  handledFile: string;
  pauseAfter?: number;
}) {
  return startScript(resolve(__dirname, '../../../test/kafka/transport-test-app.main.ts'), {
    BROKERS: kafkaBrokers().join(','),
    KAFKA_SASL_USERNAME: kafkaCredential().username,
    KAFKA_SASL_PASSWORD: kafkaCredential().password,
    TOPIC: options.topic,
    PARTITIONS: String(options.partitions),
    GROUP: options.group,
    HANDLED_FILE: options.handledFile,
    ...(options.pauseAfter !== undefined && {
      PAUSE_MID_BATCH_AFTER: String(options.pauseAfter),
    }),
  });
}
