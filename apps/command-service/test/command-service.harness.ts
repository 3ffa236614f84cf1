import { Pool } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import { freePort } from '../../../test/infra/free-port';
import { readHandle } from '../../../test/infra/infra-handle';
import { APP_ROLES, grantAppRole } from '../../../tools/db/provision';
import { migrateWriteDatabase } from '../src/database/write-database';
import {
  appKafkaEnv,
  createTestDatabase,
  testKafka,
  uniqueName,
  type TestDatabase,
} from '../../../test/infra/test-infra';
import { readTopicUntil, type ReadRecord } from '../../../test/infra/topic-reader';
import {
  startApp,
  stopApp,
  waitUntilAppReady,
  type RunningApp,
} from '../../../tools/local-suite/suite-apps';

/**
 * The built command-service (dist/, see buildApps) as a child process, on a database of its own
 * with the real migrations and a topic of its own on the test cluster (or ORDER_EVENTS_TOPIC's),
 * logged in to Kafka as its own principal with the ACLs provisioning grants it.
 */
export class CommandServiceUnderTest {
  readonly topic: string;
  /** The super user's client, to read what the service published. */
  readonly kafka = testKafka();
  /** Superuser access to the write database, to check what the service stored. */
  db!: Pool;
  private database!: TestDatabase;
  /** The service's own connection URL (its least-privilege role). */
  serviceUrl!: string;
  private readonly instances: RunningApp[] = [];
  /** KAFKA_BROKERS, the app's own login and its topic, once set up. */
  kafkaEnv: Record<string, string> = {};

  constructor(private readonly env: Record<string, string> = {}) {
    this.topic = env.ORDER_EVENTS_TOPIC ?? uniqueName('orders');
  }

  async setUp(): Promise<void> {
    this.database = await createTestDatabase('command');
    this.db = new Pool({ connectionString: this.database.url, max: 4 });
    await migrateWriteDatabase(this.database.url);
    // The service connects as it does in the suite: with its own role, not as a superuser.
    this.serviceUrl = await grantAppRole(readHandle().databaseAdminUrl, {
      database: this.database.name,
      role: APP_ROLES.commandService.role,
      access: APP_ROLES.commandService.access,
      password: 'command-service-e2e',
    });
    this.kafkaEnv = await appKafkaEnv('commandService', { topic: this.topic });
  }

  async tearDown(): Promise<void> {
    await this.stopAll();
    await this.db?.end();
    await this.database?.drop();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.instances.splice(0).map((instance) => stopApp(instance, 5_000)));
  }

  /**
   * Starts an instance and waits until it is ready; `output` collects its log lines, `env`
   * overrides the instance's environment (e.g. a DATABASE_URL through a proxy).
   */
  async start(output: string[] = [], env: Record<string, string> = {}): Promise<RunningApp> {
    const instance = startApp(
      {
        name: 'command-service',
        port: await freePort(),
        env: {
          DATABASE_URL: this.serviceUrl,
          ...this.kafkaEnv,
          LOG_LEVEL: 'warn',
          ...this.env,
          ...env,
        },
      },
      (line) => output.push(line),
    );
    this.instances.push(instance);
    await waitUntilAppReady(instance);
    return instance;
  }

  async storedEvents(orderId?: string): Promise<StoredEventRow[]> {
    const { rows } = await this.db.query<StoredEventRow>(
      `SELECT order_id, version, type, event_id FROM order_events
        WHERE $1::text IS NULL OR order_id = $1 ORDER BY order_id, version`,
      [orderId ?? null],
    );
    return rows;
  }

  async outboxDepth(): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
    return rows[0]?.n ?? 0;
  }

  /** Reads the topic until every event stored in the database has been seen on it. */
  async readAllStoredEventsFromTopic(timeoutMs = 90_000): Promise<PublishedEvent[]> {
    const stored = new Set((await this.storedEvents()).map((event) => event.event_id));
    const records = await readTopicUntil(
      this.kafka,
      this.topic,
      (read) => {
        const seen = new Set(read.map((record) => parseEnvelope(record).eventId));
        return [...stored].every((id) => seen.has(id));
      },
      `all ${stored.size} stored events`,
      timeoutMs,
    );
    return records.map((record) => ({ record, envelope: parseEnvelope(record) }));
  }
}

export interface StoredEventRow {
  order_id: string;
  version: number;
  type: string;
  event_id: string;
}

export interface PublishedEvent {
  record: ReadRecord;
  envelope: OrderEventEnvelope;
}

function parseEnvelope(record: ReadRecord): OrderEventEnvelope {
  return JSON.parse(record.value ?? 'null') as OrderEventEnvelope;
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** POSTs JSON and returns status, headers and the parsed body. */
export async function postJson<T = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : {}) as T,
  };
}

export const anOrder = {
  customerId: 'customer-1',
  currency: 'EUR',
  items: [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1_250 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 500 },
  ],
};
export const anOrderTotal = 3_000;
