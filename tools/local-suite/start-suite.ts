import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalKafkaCluster } from '../local-infra/kafka-cluster';
import { LocalPostgres } from '../local-infra/local-postgres';
import { provisionDatabases } from '../db/provision';
import { repoRoot } from '../repo-root';
import { startApp, stopApp, waitUntilAppReady, type RunningApp, type SuiteApp } from './suite-apps';

/**
 * `npm start`: the whole suite on this machine. Kafka ×3 and PostgreSQL keep their data under
 * SUITE_DATA_DIR across restarts; Ctrl-C stops the apps, then Kafka and PostgreSQL.
 * KAFKA_BROKERS / DATABASE_ADMIN_URL point it at servers you already run instead.
 */
const env = process.env;
const dataDir = resolve(env.SUITE_DATA_DIR ?? join(repoRoot(), '.local/suite'));
const ports = {
  kafkaBase: Number(env.SUITE_KAFKA_PORT_BASE ?? 19092),
  postgres: Number(env.SUITE_POSTGRES_PORT ?? 54320),
  commandService: Number(env.COMMAND_SERVICE_PORT ?? 3001),
  queryService: Number(env.QUERY_SERVICE_PORT ?? 3002),
  projector: Number(env.PROJECTOR_PORT ?? 3003),
};
const log = (message: string) => console.log(`[suite] ${message}`);

const stops: (() => Promise<void>)[] = [];
let running: RunningApp[] = [];
let stopping = false;

async function main(): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  // `on`, not `once`: a terminal's Ctrl-C can arrive twice (directly and relayed by npm/tsx),
  // and a second signal must not fall back to Node's default of exiting on the spot.
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

  log(`data in ${dataDir}`);
  const [kafkaBrokers, adminUrl] = await Promise.all([startKafka(), startPostgres()]);
  // Each app connects with its own least-privilege role; see tools/db/provision.ts.
  const databaseUrls = await provisionDatabases(adminUrl, { password: dbPassword(), log });

  const kafka = { KAFKA_BROKERS: kafkaBrokers, KAFKA_DURABILITY: 'strict' };
  const apps: SuiteApp[] = [
    {
      name: 'command-service',
      port: ports.commandService,
      env: { ...kafka, DATABASE_URL: databaseUrls.commandService },
    },
    {
      name: 'projector',
      port: ports.projector,
      env: {
        ...kafka,
        DATABASE_URL: databaseUrls.projector,
        ADMIN_TOKEN: adminToken(),
      },
    },
    {
      name: 'query-service',
      port: ports.queryService,
      env: { DATABASE_URL: databaseUrls.queryService },
    },
  ];
  running = apps.map((app) => startApp(app));
  for (const app of running) {
    app.process.once('exit', (code, signal) => {
      if (!stopping) {
        log(
          `${app.app.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the suite`,
        );
        void shutdown('app exit', 1);
      }
    });
  }
  await Promise.all(running.map((app) => waitUntilAppReady(app)));

  log('ready:');
  for (const app of running) log(`  ${app.app.name.padEnd(16)} ${app.url}`);
  log(`  kafka            ${kafkaBrokers}`);
  log(`  projector admin  Authorization: Bearer ${adminToken()}`);
  log('Ctrl-C stops everything; data is kept for the next start.');
}

async function startKafka(): Promise<string> {
  if (env.KAFKA_BROKERS) return env.KAFKA_BROKERS;
  const cluster = new LocalKafkaCluster({
    dataDir: join(dataDir, 'kafka'),
    portBase: ports.kafkaBase,
    log,
  });
  stops.push(() => cluster.stop());
  await cluster.start();
  return cluster.bootstrapServers.join(',');
}

async function startPostgres(): Promise<string> {
  if (env.DATABASE_ADMIN_URL) return env.DATABASE_ADMIN_URL;
  const postgres = new LocalPostgres({
    dataDir: join(dataDir, 'postgres', 'data'),
    port: ports.postgres,
    log,
  });
  stops.push(() => postgres.stop());
  await postgres.start();
  return postgres.adminUrl;
}

const adminToken = () => secret('admin-token');
/** The password of the apps' database roles. */
const dbPassword = () => secret('db-password');

/** Generated once per data directory, so it survives restarts like the data does. */
function secret(name: string): string {
  const file = join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(24).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

async function shutdown(reason: string, exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log(`stopping (${reason})`);
  await Promise.all(running.map((app) => stopApp(app)));
  await Promise.allSettled(stops.map((stop) => stop()));
  log('stopped');
  process.exit(exitCode);
}

main().catch(async (error: unknown) => {
  console.error('[suite] failed to start:', error);
  await shutdown('start failed', 1);
});
