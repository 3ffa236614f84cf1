import type { RunningApp } from '../../tools/local-suite/suite-apps';
import type { BenchKafka } from '../bench-kafka';
import type { Teardown } from '../commands/bench-infra';
import type { PublishRate } from '../commands/outbox-publishing';
import { startBenchApp } from './built-apps';

/** The admin API's bearer token in the bench (it only has to be 16 characters or more). */
export const ADMIN_TOKEN = 'bench-projector-admin-token';

const POLL_MS = 200;
const PROGRESS_EVERY_MS = 10_000;

export interface ProjectorSetting {
  /** Role order_projector's URL. */
  databaseUrl: string;
  kafka: BenchKafka;
  topic: string;
  partitions: number;
  groupId: string;
}

/**
 * The built projector, configured as its e2e harness does: its topic's DLQ and its ACLs
 * provisioned first, logged in as its own principal. Ready when this resolves.
 */
export async function startProjector(
  setting: ProjectorSetting,
  teardown: Teardown,
  log: string[],
): Promise<RunningApp> {
  const kafkaEnv = await setting.kafka.appEnv('projector', {
    topic: setting.topic,
    partitions: setting.partitions,
    projectorGroup: setting.groupId,
  });
  const env = {
    DATABASE_URL: setting.databaseUrl,
    ...kafkaEnv,
    PROJECTOR_GROUP_ID: setting.groupId,
    ADMIN_TOKEN,
  };
  return startBenchApp('projector', env, teardown, log);
}

/** Mean events per batch of the live consumer or the replay: projector_batch_size, sum / count. */
export async function meanBatchSize(
  projector: RunningApp,
  mode: 'live' | 'replay',
): Promise<number> {
  const metrics = await (await fetch(`${projector.url}/metrics`)).text();
  const sample = (series: string) => {
    // Labels in any order: the registry adds app="projector" to each series.
    const match = new RegExp(
      `^projector_batch_size_${series}\\{[^}]*mode="${mode}"[^}]*\\} (\\S+)$`,
      'm',
    ).exec(metrics);
    if (!match) throw new Error(`the projector reports no ${mode} projector_batch_size_${series}`);
    return Number(match[1]);
  };
  return sample('sum') / sample('count');
}

/**
 * Starts a replay through the admin API and polls its status until another generation serves
 * reads: the time an operator waits, the replay consumer's joining its group and the switch
 * (checked every 500 ms by the projector) included.
 */
export async function timeReplay(
  projector: RunningApp,
  events: number,
  {
    isAlive,
    log,
    timeoutMs = 900_000,
  }: { isAlive: () => boolean; log: (message: string) => void; timeoutMs?: number },
): Promise<PublishRate> {
  const deadline = Date.now() + timeoutMs;
  const started = process.hrtime.bigint();
  const { generation } = await admin<{ generation: number }>(
    projector,
    'POST',
    '/admin/projections/order-view/replay',
    202,
  );
  let reported = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const status = await admin<{
      currentGeneration: number;
      replay: { processed: number; total: number } | null;
    }>(projector, 'GET', '/admin/projections/order-view', 200);
    if (status.currentGeneration === generation) {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { events, seconds, eventsPerSecond: events / seconds };
    }
    if (!isAlive()) throw new Error('the projector exited during the replay');
    if (Date.now() > deadline)
      throw new Error(`the replay is still running: ${JSON.stringify(status)}`);
    if (Date.now() - reported >= PROGRESS_EVERY_MS) {
      reported = Date.now();
      log(`replay: ${status.replay?.processed ?? 0} of ${status.replay?.total ?? events} events`);
    }
  }
}

async function admin<T>(
  projector: RunningApp,
  method: 'GET' | 'POST',
  path: string,
  expected: number,
): Promise<T> {
  const response = await fetch(`${projector.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const body = await response.text();
  if (response.status !== expected) {
    throw new Error(`${method} ${path}: ${response.status} ${body}`);
  }
  return JSON.parse(body) as T;
}
