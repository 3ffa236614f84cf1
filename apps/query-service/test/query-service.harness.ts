import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { loadConfig } from '@app/config';
import { createHttpApp } from '@app/http-platform';
import { VIEW_CHANGED_CHANNEL, migrateReadDatabase } from '@app/order-view';
import { freePort } from '../../../test/infra/free-port';
import { readHandle } from '../../../test/infra/infra-handle';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { APP_ROLES, grantAppRole } from '../../../tools/db/provision';
import { queryServiceEnv } from '../src/query-service.config';
import { QueryServiceModule } from '../src/query-service.module';
import { VersionWaiters } from '../src/read-your-writes/version-waiters';
import { ViewChangeListener } from '../src/read-your-writes/view-change-listener';

/** The read side's schema belongs to the projector, which owns and migrates it. */

export interface RunningQueryService {
  app: NestFastifyApplication;
  url: string;
  /** The process's one waiter registry and listener, to observe waits without timing them. */
  waiters: VersionWaiters;
  listener: ViewChangeListener;
}

export interface ViewRow {
  orderId: string;
  customerId?: string;
  status?: 'PLACED' | 'PAID' | 'SHIPPED' | 'CANCELLED';
  placedAt?: string;
  version?: number;
  /** Defaults to the current generation. */
  generation?: number;
}

/**
 * The query-service in this process (as main.ts builds it, less the /docs route: serving its
 * static assets loads an ESM-only package Jest cannot require), on a database of its own with the
 * projector's migrations, connected with its own SELECT-only role. The test plays the projector:
 * it writes view rows as the superuser and sends the projector's notification.
 */
export class QueryServiceUnderTest {
  /** Superuser access to the read database. */
  db!: Pool;
  /** The service's own connection URL (role order_query). */
  serviceUrl!: string;
  private database!: TestDatabase;
  private readonly running: RunningQueryService[] = [];

  async setUp(): Promise<void> {
    this.database = await createTestDatabase('query');
    this.db = new Pool({ connectionString: this.database.url, max: 4 });
    await migrateReadDatabase(this.database.url);
    this.serviceUrl = await grantAppRole(readHandle().databaseAdminUrl, {
      database: this.database.name,
      role: APP_ROLES.queryService.role,
      access: APP_ROLES.queryService.access,
      password: 'query-service-int',
    });
  }

  async tearDown(): Promise<void> {
    await Promise.all(this.running.splice(0).map(({ app }) => app.close()));
    await this.db?.end();
    await this.database?.drop();
  }

  async start(env: Record<string, string> = {}): Promise<RunningQueryService> {
    const port = await freePort();
    const environment = {
      DATABASE_URL: this.serviceUrl,
      PORT: String(port),
      LOG_LEVEL: 'silent',
      ...env,
    };
    const config = loadConfig(queryServiceEnv, environment);
    // Each concern's registerAs config reads the process's environment while the app is built,
    // as main.ts's does.
    const app = await withEnvironment(environment, () =>
      createHttpApp(QueryServiceModule.forRoot(config), config.http),
    );
    await app.listen(port, '127.0.0.1');
    const service = {
      app,
      url: `http://127.0.0.1:${port}`,
      waiters: app.get(VersionWaiters),
      listener: app.get(ViewChangeListener),
    };
    this.running.push(service);
    return service;
  }

  async stop(service: RunningQueryService): Promise<void> {
    this.running.splice(this.running.indexOf(service), 1);
    await service.app.close();
  }

  /**
   * A generation's partitions and indexes, as a replay leaves them at its switch (the first one
   * the migrations make).
   */
  private async addGeneration(generation: number): Promise<void> {
    await this.db.query('SELECT order_view_add_generation($1)', [generation]);
    await this.db.query('SELECT order_view_index_generation($1)', [generation]);
  }

  /** Writes (or overwrites) a view row the way the projector would, without notifying. */
  async putOrder(row: ViewRow): Promise<void> {
    const {
      orderId,
      customerId = 'customer-1',
      status = 'PLACED',
      placedAt = '2024-05-01T10:00:00.000000Z',
      version = 1,
    } = row;
    if (row.generation !== undefined) await this.addGeneration(row.generation);
    await this.db.query(
      `INSERT INTO order_view
         (generation, order_id, customer_id, status, placed_at, version, applied_events, document)
       SELECT coalesce($7, current_generation), $1, $2, $3, $4, $5, $5, $6 FROM order_view_state
       ON CONFLICT (generation, order_id) DO UPDATE
         SET status = excluded.status, version = excluded.version,
             applied_events = excluded.applied_events, document = excluded.document`,
      [
        orderId,
        customerId,
        status,
        placedAt,
        version,
        JSON.stringify(viewDocument({ orderId, customerId, status, placedAt, version })),
        row.generation ?? null,
      ],
    );
  }

  /**
   * Writes an order's history rows the way the projector would (entries as stored, by version),
   * into the current generation unless told otherwise.
   */
  async putHistory(
    orderId: string,
    entries: HistoryEntry[],
    generation: number | null = null,
  ): Promise<void> {
    if (generation !== null) await this.addGeneration(generation);
    await this.db.query(
      `INSERT INTO order_history (generation, order_id, version, entry)
       SELECT coalesce($3, current_generation), $1, (e ->> 'version')::int, e
         FROM order_view_state, jsonb_array_elements($2::jsonb) AS e
       ON CONFLICT (generation, order_id, version) DO UPDATE SET entry = excluded.entry`,
      [orderId, JSON.stringify(entries), generation],
    );
  }

  /** What the projector sends in each transaction that changed the view. */
  async notifyViewChanged(): Promise<void> {
    await this.db.query(`SELECT pg_notify('${VIEW_CHANGED_CHANNEL}', '')`);
  }
}

/** Runs `build` with `environment` added to process.env, which is then restored. */
async function withEnvironment<T>(
  environment: Record<string, string>,
  build: () => Promise<T>,
): Promise<T> {
  const saved = process.env;
  process.env = { ...saved, ...environment };
  try {
    return await build();
  } finally {
    process.env = saved;
  }
}

export function viewDocument(row: Required<Omit<ViewRow, 'generation'>>): Record<string, unknown> {
  return {
    orderId: row.orderId,
    customerId: row.customerId,
    status: row.status,
    currency: 'EUR',
    items: [{ sku: 'SKU-1', quantity: 2, unitPrice: 1_250 }],
    total: 2_500,
    version: row.version,
    placedAt: row.placedAt,
    updatedAt: row.placedAt,
  };
}

export interface HistoryEntry {
  eventId: string;
  type: string;
  version: number;
  occurredAt: string;
  data: Record<string, unknown>;
  correlationId: string | null;
}

/** The entry of version `version` of an order whose events are placed, paid, then cancelled. */
export function historyEntry(orderId: string, version: number): HistoryEntry {
  const types = ['OrderPlaced', 'OrderPaid', 'OrderCancelled'];
  const data: Record<string, unknown>[] = [
    { customerId: 'customer-1', currency: 'EUR', items: [], total: 0 },
    { amount: 0, paymentReference: 'pay-1' },
    { reason: `reason ${version}` },
  ];
  return {
    eventId: `${orderId}-event-${version}`,
    type: types[Math.min(version, 3) - 1],
    version,
    occurredAt: `2024-05-01T10:00:${String(version % 60).padStart(2, '0')}.000Z`,
    data: data[Math.min(version, 3) - 1],
    correlationId: `${orderId}-request-${version}`,
  };
}

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  /** Parsed JSON; undefined when there is no body (a 304). */
  body: T;
}

export async function get<T = Record<string, unknown>>(
  url: string,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
): Promise<HttpResult<T>> {
  const response = await fetch(url, { headers, signal });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: (text ? JSON.parse(text) : undefined) as T,
  };
}
