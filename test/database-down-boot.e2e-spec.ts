import { join } from 'node:path';
import { migrateReadDatabase } from '@app/order-view';
import { migrateWriteDatabase } from '../apps/command-service/src/database/write-database';
import { APP_ROLES, grantAppRole } from '../tools/db/provision';
import { LocalPostgres } from '../tools/local-infra/local-postgres';
import { waitFor } from '../tools/local-infra/wait-for';
import { startApp, stopApp, type RunningApp, type SuiteApp } from '../tools/local-suite/suite-apps';
import { buildApps } from './infra/build';
import { freePort } from './infra/free-port';
import { TEST_DATA_DIR } from './infra/local-infra';
import { appKafkaEnv, createTestDatabase, uniqueName, type TestDatabase } from './infra/test-infra';

/**
 * TypeORM's DataSource.initialize() connects at once; the apps open theirs without connecting, so
 * that, as with a plain pg pool, they start while PostgreSQL is away, report not-ready, answer
 * 503, and take up their work when it is back. The projector is not among them yet: its replays'
 * bootstrap reads the database (apps/projector/src/replay), so it exits 1 at boot while PostgreSQL
 * is away, as it did before TypeORM (README, known gaps).
 */
describe('boot while PostgreSQL is down (built apps, real Kafka and PostgreSQL)', () => {
  // A PostgreSQL server of this test's own, so that stopping it harms no other test.
  let postgres: LocalPostgres;
  const running: RunningApp[] = [];
  const outputs: Record<SuiteApp['name'], string[]> = {
    'command-service': [],
    projector: [],
    'query-service': [],
  };
  const APPS = ['command-service', 'query-service'] as const;
  const env: Partial<Record<SuiteApp['name'], Record<string, string>>> = {};
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    await buildApps();
    postgres = new LocalPostgres({
      dataDir: join(TEST_DATA_DIR, 'postgres-down-at-boot'),
      port: await freePort(),
    });
    await postgres.start();
    const write = await createTestDatabase('boot_write', postgres.adminUrl);
    const read = await createTestDatabase('boot_read', postgres.adminUrl);
    databases.push(write, read);
    await migrateWriteDatabase(write.url);
    await migrateReadDatabase(read.url);
    const grant = (database: string, app: keyof typeof APP_ROLES) =>
      grantAppRole(postgres.adminUrl, {
        database,
        role: APP_ROLES[app].role,
        access: APP_ROLES[app].access,
        password: `${app}-down-at-boot`,
      });
    const topic = uniqueName('boot_events');
    env['command-service'] = {
      ...(await appKafkaEnv('commandService', { topic })),
      DATABASE_URL: await grant(write.name, 'commandService'),
    };
    env['query-service'] = { DATABASE_URL: await grant(read.name, 'queryService') };
    await postgres.stop();
  }, 240_000);

  afterAll(async () => {
    await Promise.all(running.splice(0).map((app) => stopApp(app, 10_000)));
    if (postgres) {
      // The server keeps its data directory across runs: leave no database behind.
      await postgres.start();
      for (const database of databases) await database.drop();
      await postgres.stop();
    }
  }, 60_000);

  const stillRunning = (app: RunningApp) =>
    app.process.exitCode === null && app.process.signalCode === null;

  it('command-service and query-service start, are live, report the database down and answer 503; ready once PostgreSQL is back', async () => {
    for (const name of APPS) {
      running.push(
        startApp(
          { name, port: await freePort(), env: { LOG_LEVEL: 'warn', ...env[name]! } },
          (line) => outputs[name].push(line),
        ),
      );
    }
    const lastLines = (app: RunningApp) => outputs[app.app.name].slice(-20).join('\n');

    for (const app of running) {
      await waitFor(
        async () => {
          if (!stillRunning(app)) throw new Error(`${app.app.name} exited:\n${lastLines(app)}`);
          return (await fetch(`${app.url}/health/live`)).ok;
        },
        { timeoutMs: 60_000, intervalMs: 200, description: `${app.app.name} to be live` },
      );
      const ready = await fetch(`${app.url}/health/ready`);
      const body = (await ready.json()) as { checks: Record<string, { status: string }> };
      expect([app.app.name, ready.status, body.checks.database?.status]).toEqual([
        app.app.name,
        503,
        'down',
      ]);
    }
    const [command, query] = running;
    const placed = await fetch(`${command.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customerId: 'customer-1',
        currency: 'EUR',
        items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }],
      }),
    });
    expect([placed.status, ((await placed.json()) as { error: string }).error]).toEqual([
      503,
      'DATABASE_UNAVAILABLE',
    ]);
    const read = await fetch(`${query.url}/orders/o-1`);
    expect([read.status, ((await read.json()) as { error: string }).error]).toEqual([
      503,
      'DATABASE_UNAVAILABLE',
    ]);

    await postgres.start();
    for (const app of running) {
      await waitFor(
        async () => {
          if (!stillRunning(app)) throw new Error(`${app.app.name} exited:\n${lastLines(app)}`);
          return (await fetch(`${app.url}/health/ready`)).ok;
        },
        { timeoutMs: 90_000, intervalMs: 250, description: `${app.app.name} to be ready` },
      );
    }
    const again = await fetch(`${command.url}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customerId: 'customer-1',
        currency: 'EUR',
        items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }],
      }),
    });
    expect(again.status).toBe(201);
    expect((await fetch(`${query.url}/orders/o-1`)).status).toBe(404);
  }, 300_000);
});
