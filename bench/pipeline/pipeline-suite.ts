import { OrderEventsTopicEnv } from '@app/order-events';
import type { RunningApp } from '../../tools/local-suite/suite-apps';
import type { BenchKafka } from '../bench-kafka';
import { createBenchDatabase, deleteTopicsAtEnd, type Teardown } from '../commands/bench-infra';
import {
  createReadDatabase,
  grantCommandRole,
  type ReadDatabase,
} from '../projector/app-databases';
import { startBenchApp } from '../projector/built-apps';
import { startProjector } from '../projector/projector-app';

/** The topic's partitions, as `npm start` provisions it (ORDER_EVENTS_PARTITIONS's default). */
export const PARTITIONS = new OrderEventsTopicEnv().ORDER_EVENTS_PARTITIONS;

export interface PipelineSuite {
  commands: RunningApp;
  projector: RunningApp;
  queries: RunningApp;
  topic: string;
  /** Superuser URL of the write database: the bench reads the outbox depth there. */
  writeDbAdminUrl: string;
  readDb: ReadDatabase;
}

export type AppLogs = Record<'command-service' | 'projector' | 'query-service', string[]>;

/**
 * The three built apps as `npm start` runs them (default settings, each logged in as its own
 * Kafka principal and database role, topics and ACLs provisioned first), on fresh databases and
 * a fresh topic; only LOG_LEVEL is warn, so that the bench can keep what they print.
 */
export async function startPipelineSuite(
  cluster: BenchKafka,
  serverAdminUrl: string,
  teardown: Teardown,
  logs: AppLogs,
): Promise<PipelineSuite> {
  const run = Date.now().toString(36);
  const topic = `bench-pipeline-${run}`;
  const groupId = `bench-pipeline-${run}`;
  deleteTopicsAtEnd(cluster.client('bench-pipeline'), [topic, `${topic}.dlq`], teardown);
  const kafkaEnv = await cluster.appEnv('commandService', {
    topic,
    partitions: PARTITIONS,
    projectorGroup: groupId,
  });
  const writeDbAdminUrl = await createBenchDatabase(serverAdminUrl, teardown);
  const readDb = await createReadDatabase(serverAdminUrl, 'bench_pipeline', teardown);
  const [commands, projector, queries] = await Promise.all([
    startBenchApp(
      'command-service',
      { DATABASE_URL: await grantCommandRole(serverAdminUrl, writeDbAdminUrl), ...kafkaEnv },
      teardown,
      logs['command-service'],
    ),
    startProjector(
      { databaseUrl: readDb.projectorUrl, kafka: cluster, topic, partitions: PARTITIONS, groupId },
      teardown,
      logs.projector,
    ),
    startBenchApp(
      'query-service',
      { DATABASE_URL: readDb.queryUrl },
      teardown,
      logs['query-service'],
    ),
  ]);
  return { commands, projector, queries, topic, writeDbAdminUrl, readDb };
}
