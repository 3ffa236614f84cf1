import { isDeepStrictEqual } from 'node:util';
import type { Producer } from 'kafkajs';
import { Pool } from 'pg';
import { toOrderEventRecord, type OrderEventEnvelope } from '@app/order-events';
import { foldOrderView, migrateReadDatabase, type OrderView } from '@app/order-view';
import { freePort } from '../../../test/infra/free-port';
import { readHandle } from '../../../test/infra/infra-handle';
import { committedGroupOffsets } from '../../../test/infra/topics';
import {
  appKafkaEnv,
  createTestDatabase,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '../../../test/infra/test-infra';
import { APP_ROLES, grantAppRole } from '../../../tools/db/provision';
import { waitFor } from '../../../tools/local-infra/wait-for';
import {
  startApp,
  stopApp,
  waitUntilAppReady,
  type RunningApp,
} from '../../../tools/local-suite/suite-apps';

export const ADMIN_TOKEN = 'projector-e2e-admin-token';
export const PARTITIONS = 6;

export interface ViewRow {
  order_id: string;
  version: number;
  applied_events: number;
  document: OrderView;
}

/**
 * The built projector (dist/) as child processes, on a read database of its own with the real
 * migrations and role, and a topic of its own on the test cluster.
 */
export class ProjectorUnderTest {
  readonly topic: string;
  readonly groupId = uniqueName('projector');
  /** The super user's client: produces the test's events, inspects groups and offsets. */
  readonly kafka = testKafka();
  /** Superuser access to the read database, to check what the projector stored. */
  db!: Pool;
  database!: TestDatabase;
  projectorUrl!: string;
  private producer?: Producer;
  private readonly instances: RunningApp[] = [];
  /** KAFKA_BROKERS, the app's own login and its topic, once set up. */
  kafkaEnv: Record<string, string> = {};

  /** `topic`: the one to read, for example a command-service's; created when missing. */
  constructor(
    private readonly env: Record<string, string> = {},
    topic = uniqueName('order_events'),
  ) {
    this.topic = topic;
  }

  /** `adminUrl`: the PostgreSQL server to use, the shared test one by default. */
  async setUp(adminUrl = readHandle().databaseAdminUrl): Promise<void> {
    this.database = await createTestDatabase('read', adminUrl);
    this.db = new Pool({ connectionString: this.database.url, max: 4 });
    this.db.on('error', () => undefined);
    await migrateReadDatabase(this.database.url);
    this.projectorUrl = await grantAppRole(adminUrl, {
      database: this.database.name,
      role: APP_ROLES.projector.role,
      access: APP_ROLES.projector.access,
      password: 'projector-e2e',
    });
    // Creates the topic and its DLQ (when missing) and grants the projector's principal its ACLs.
    this.kafkaEnv = await appKafkaEnv('projector', {
      topic: this.topic,
      partitions: PARTITIONS,
      projectorGroup: this.groupId,
    });
  }

  async tearDown(): Promise<void> {
    await this.stopAll();
    await this.producer?.disconnect();
    await this.db?.end();
    await this.database?.drop();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.instances.splice(0).map((instance) => stopApp(instance, 10_000)));
  }

  /** Starts an instance and waits until it is ready; `output` collects its log lines. */
  async start(output: string[] = []): Promise<RunningApp> {
    const instance = startApp(
      {
        name: 'projector',
        port: await freePort(),
        env: {
          DATABASE_URL: this.projectorUrl,
          ...this.kafkaEnv,
          PROJECTOR_GROUP_ID: this.groupId,
          ADMIN_TOKEN,
          LOG_LEVEL: 'warn',
          ...this.env,
        },
      },
      (line) => output.push(line),
    );
    this.instances.push(instance);
    await waitUntilAppReady(instance).catch((error: Error) => {
      throw new Error(`${error.message}\n${output.slice(-20).join('\n')}`);
    });
    return instance;
  }

  /** A crash: no shutdown hook runs. */
  async kill(instance: RunningApp): Promise<void> {
    const index = this.instances.indexOf(instance);
    if (index >= 0) this.instances.splice(index, 1);
    if (instance.process.exitCode !== null || instance.process.signalCode !== null) return;
    const exited = new Promise((resolve) => instance.process.once('exit', resolve));
    instance.process.kill('SIGKILL');
    await exited;
  }

  /** Publishes the events as the outbox relay would (keyed by order id), acknowledged by all. */
  async produce(events: OrderEventEnvelope[]): Promise<void> {
    await this.produceRecords(events.map(toOrderEventRecord));
  }

  async produceRecords(
    records: { key: string; value: string | Buffer; headers?: Record<string, string> }[],
  ): Promise<void> {
    const producer = await this.connectedProducer();
    for (let start = 0; start < records.length; start += 1_000) {
      await producer.send({
        topic: this.topic,
        acks: -1,
        messages: records.slice(start, start + 1_000),
      });
    }
  }

  async viewRows(): Promise<ViewRow[]> {
    const { rows } = await this.db.query<ViewRow>(
      `SELECT v.order_id, v.version, v.applied_events, v.document
         FROM order_view v JOIN order_view_state s ON v.generation = s.current_generation
        ORDER BY v.order_id`,
    );
    return rows;
  }

  /**
   * Orders of the current generation whose history is not one row per event applied to the view
   * (applied_events): a history row written twice, or without its view row, would show here.
   */
  async historyMismatches(): Promise<{ order_id: string; applied_events: number; rows: number }[]> {
    const { rows } = await this.db.query<{
      order_id: string;
      applied_events: number;
      rows: number;
    }>(
      `SELECT v.order_id, v.applied_events, count(h.version)::int AS rows
         FROM order_view v
         JOIN order_view_state s ON v.generation = s.current_generation
         LEFT JOIN order_history h ON h.generation = v.generation AND h.order_id = v.order_id
        GROUP BY v.order_id, v.applied_events
       HAVING count(h.version) <> v.applied_events
        ORDER BY v.order_id`,
    );
    return rows;
  }

  /** Sum over partitions of the current generation's checkpoints: events read so far. */
  async eventsRead(): Promise<number> {
    const { rows } = await this.db.query<{ n: string | null }>(
      `SELECT sum(next_offset)::text AS n FROM projection_checkpoints c
         JOIN order_view_state s ON c.generation = s.current_generation`,
    );
    return Number(rows[0].n ?? 0);
  }

  /** Waits until the view holds exactly the fold of `events` for every order. */
  async waitUntilViewIsFoldOf(
    events: OrderEventEnvelope[],
    timeoutMs = 120_000,
  ): Promise<ViewRow[]> {
    const expected = foldByOrder(events);
    return waitFor(
      async () => {
        const rows = await this.viewRows();
        if (rows.length !== expected.size) return false;
        const matches = rows.every((row) =>
          isDeepStrictEqual(row.document, expected.get(row.order_id)),
        );
        return matches ? rows : false;
      },
      {
        timeoutMs,
        intervalMs: 500,
        description: `the view to equal the fold of ${events.length} events`,
      },
    ).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${await this.viewDifferences(expected)}`);
    });
  }

  /** What the view holds that `expected` does not, and the reverse: a few examples of each. */
  private async viewDifferences(expected: Map<string, OrderView>): Promise<string> {
    const rows = new Map((await this.viewRows()).map((row) => [row.order_id, row]));
    const missing = [...expected.keys()].filter((id) => !rows.has(id));
    const extra = [...rows.keys()].filter((id) => !expected.has(id));
    const different = [...rows.values()]
      .filter((row) => expected.has(row.order_id))
      .filter((row) => !isDeepStrictEqual(row.document, expected.get(row.order_id)))
      .map((row) => {
        const want = expected.get(row.order_id)!;
        return `${row.order_id}: view v${row.version} ${row.document.status}, fold v${want.version} ${want.status}`;
      });
    const { rows: parked } = await this.db.query<{ order_id: string; reason: string }>(
      `SELECT order_id, reason FROM parked_events p JOIN order_view_state s
          ON p.generation = s.current_generation WHERE resolution IS NULL LIMIT 5`,
    );
    return [
      `missing ${missing.length} (e.g. ${missing.slice(0, 3).join(', ')})`,
      `extra ${extra.length} (e.g. ${extra.slice(0, 3).join(', ')})`,
      `different ${different.length}: ${different.slice(0, 3).join('; ')}`,
      `parked: ${parked.map((row) => `${row.order_id} (${row.reason})`).join('; ')}`,
    ].join('\n');
  }

  /**
   * Waits until, on every partition that has records, both the database's checkpoint and the
   * group's committed offset are the topic's end offset.
   */
  async waitUntilCommittedAtEnd(timeoutMs = 30_000): Promise<void> {
    const endOffsets = await this.endOffsets();
    await waitFor(
      async () => {
        const [committed, checkpoints] = [await this.committedOffsets(), await this.checkpoints()];
        return [...endOffsets].every(
          ([partition, end]) =>
            end === 0 || (committed.get(partition) === end && checkpoints.get(partition) === end),
        );
      },
      { timeoutMs, description: 'committed offsets and checkpoints at the end offsets' },
    );
  }

  /** The group's offsets as Kafka tools show them (`-1` where nothing is committed). */
  async committedOffsets(): Promise<Map<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await committedGroupOffsets(admin, this.groupId, this.topic);
      return new Map(offsets.map((p) => [p.partition, Number(p.offset)]));
    } finally {
      await admin.disconnect();
    }
  }

  async checkpoints(): Promise<Map<number, number>> {
    const { rows } = await this.db.query<{ partition: number; next_offset: string }>(
      `SELECT partition, next_offset::text FROM projection_checkpoints c
         JOIN order_view_state s ON c.generation = s.current_generation WHERE topic = $1`,
      [this.topic],
    );
    return new Map(rows.map((row) => [row.partition, Number(row.next_offset)]));
  }

  async endOffsets(): Promise<Map<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }
  }

  /** Starts a replay and waits until its generation serves reads. */
  async replayUntilGeneration(instance: RunningApp, generation: number): Promise<void> {
    const started = await this.admin(instance, 'POST', '/admin/projections/order-view/replay');
    if (started.status !== 202) {
      throw new Error(`replay not started: ${started.status} ${JSON.stringify(started.body)}`);
    }
    await waitFor(
      async () => {
        const { body } = await this.admin(instance, 'GET', '/admin/projections/order-view');
        return body.currentGeneration === generation;
      },
      {
        timeoutMs: 120_000,
        intervalMs: 250,
        description: `the replayed generation ${generation} to serve reads`,
      },
    );
  }

  async admin(
    instance: RunningApp,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    token: string | null = ADMIN_TOKEN,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${instance.url}${path}`, {
      method,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  }

  private async connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await this.producer.connect();
    }
    return this.producer;
  }
}

/** Each order's view as the fold of its events (in the order given; duplicates ignored). */
export function foldByOrder(events: OrderEventEnvelope[]): Map<string, OrderView> {
  const byOrder = new Map<string, OrderEventEnvelope[]>();
  for (const event of events) {
    const list = byOrder.get(event.orderId) ?? [];
    list.push(event);
    byOrder.set(event.orderId, list);
  }
  const views = new Map<string, OrderView>();
  for (const [orderId, list] of byOrder) {
    const view = foldOrderView(list);
    if (view) views.set(orderId, view);
  }
  return views;
}
