import { join } from 'node:path';
import { Pool } from 'pg';
import { stopApp, stopChild } from '../../tools/local-suite/suite-apps';
import { waitFor } from '../../tools/local-infra/wait-for';
import type { BenchKafka } from '../bench-kafka';
import { deleteTopicsAtEnd, type Teardown } from '../commands/bench-infra';
import type { PublishRate } from '../commands/outbox-publishing';
import { createReadDatabase } from '../projector/app-databases';
import { spawnNode } from '../projector/built-apps';
import { timeCatchUp } from '../projector/catch-up';
import { OrderEventsTopic, interleavedOrderEvents } from '../projector/order-events';
import { startProjector } from '../projector/projector-app';
import { PARTITIONS } from './pipeline-suite';

export interface NaiveComparison {
  naive: PublishRate;
  ours: PublishRate;
}

/**
 * The same `events` (valid interleaved histories) on a fresh topic, projected by the naive
 * @nestjs/microservices projector (naive-projector.ts) for `naiveSeconds` from its first
 * committed offset, its rate read from the group's committed offsets as Kafka reports them;
 * then by the built projector from the start to the end, timed as bench:projector times it.
 */
export async function compareWithNaiveProjector(
  cluster: BenchKafka,
  serverAdminUrl: string,
  teardown: Teardown,
  { events, naiveSeconds, log }: { events: number; naiveSeconds: number; log: (m: string) => void },
): Promise<NaiveComparison> {
  const kafka = cluster.client('bench-pipeline-naive');
  const run = Date.now().toString(36);
  const topic = new OrderEventsTopic(kafka, `bench-naive-${run}`, PARTITIONS);
  deleteTopicsAtEnd(kafka, [topic.name, `${topic.name}.dlq`], teardown);
  await topic.create();
  log(`naive comparison: writing ${events} events to ${topic.name}`);
  await topic.append(interleavedOrderEvents(events));
  await topic.close();
  const endOffsets = await topic.endOffsets();

  const naive = await timeNaiveProjector(cluster, serverAdminUrl, teardown, {
    topic: topic.name,
    groupId: `bench-naive-${run}`,
    total: events,
    seconds: naiveSeconds,
    log,
  });
  log(`naive projector: ${naive.eventsPerSecond.toFixed(0)} events/s`);

  const readDb = await createReadDatabase(serverAdminUrl, 'bench_naive_ours', teardown);
  const projectorLog: string[] = [];
  const projector = await startProjector(
    {
      databaseUrl: readDb.projectorUrl,
      kafka: cluster,
      topic: topic.name,
      partitions: PARTITIONS,
      groupId: `bench-ours-${run}`,
    },
    teardown,
    projectorLog,
  );
  const db = new Pool({ connectionString: readDb.adminUrl, max: 1 });
  try {
    const ours = await timeCatchUp(db, topic.name, endOffsets, {
      isAlive: () => projector.process.exitCode === null,
      log,
    });
    return { naive, ours };
  } finally {
    await db.end();
    await stopApp(projector, 10_000);
  }
}

async function timeNaiveProjector(
  cluster: BenchKafka,
  serverAdminUrl: string,
  teardown: Teardown,
  setting: {
    topic: string;
    groupId: string;
    /** Events on the topic. */
    total: number;
    seconds: number;
    log: (m: string) => void;
  },
): Promise<PublishRate> {
  const database = await createReadDatabase(serverAdminUrl, 'bench_naive', teardown);
  const { username, password } = cluster.superUserSasl as { username: string; password: string };
  const output: string[] = [];
  const child = spawnNode(
    ['--import', 'tsx', join(__dirname, 'naive-projector.ts')],
    {
      KAFKA_BROKERS: cluster.brokers.join(','),
      KAFKA_SASL_USERNAME: username,
      KAFKA_SASL_PASSWORD: password,
      NAIVE_TOPIC: setting.topic,
      NAIVE_GROUP_ID: setting.groupId,
      DATABASE_URL: database.adminUrl,
    },
    (line) => output.push(line),
  );
  teardown.add('naive projector', () => stopChild(child, 5_000));
  const admin = cluster.client('bench-naive-offsets').admin();
  await admin.connect();
  /** The events committed at the last poll that got an answer, and when it was sent. */
  let counted = { events: 0, at: process.hrtime.bigint() };
  const committed = async () => {
    if (child.exitCode !== null) {
      throw new Error(`the naive projector exited:\n${output.slice(-20).join('\n')}`);
    }
    try {
      const at = process.hrtime.bigint();
      const [offsets] = await admin.fetchOffsets({
        groupId: setting.groupId,
        topics: [setting.topic],
      });
      const events = offsets.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
      counted = { events, at };
    } catch (error) {
      // The group's coordinator moving or still loading (NOT_COORDINATOR_FOR_GROUP, seen once
      // mid-run): kafkajs marks it retriable and does not retry it here; the next poll asks again.
      if ((error as { retriable?: boolean }).retriable !== true) throw error;
    }
    return counted.events;
  };
  try {
    await waitFor(async () => (await committed()) > 0, {
      timeoutMs: 120_000,
      intervalMs: 100,
      description: 'the naive projector to commit its first offsets',
    });
    const start = counted;
    setting.log(`naive projector: running for up to ${setting.seconds} s`);
    // Until the window ends or every event is committed, whichever comes first: time spent
    // idle at the end of the topic would understate its rate.
    const deadline = Date.now() + setting.seconds * 1000;
    let reached = start.events;
    while (Date.now() < deadline && reached < setting.total) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      reached = await committed();
    }
    // Up to the last poll answered: a poll refused at the end must not count as time without
    // progress.
    if (counted === start) throw new Error("no poll of the naive projector's offsets answered");
    const seconds = Number(counted.at - start.at) / 1e9;
    const done = counted.events - start.events;
    return { events: done, seconds, eventsPerSecond: done / seconds };
  } finally {
    await admin.disconnect();
    await stopChild(child, 5_000);
  }
}
