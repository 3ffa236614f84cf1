import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalKafkaCluster } from '../local-infra/kafka-cluster';
import {
  APP_PRINCIPALS,
  readCredentials,
  scramSasl,
  type KafkaCredentials,
} from '../local-infra/kafka-credentials';
import { LocalPostgres } from '../local-infra/local-postgres';
import {
  APP_ROLES,
  MIGRATION_ROLE,
  provisionDatabases,
  type AppDatabasePasswords,
} from '../db/provision';
import { provisionKafkaAs } from '../kafka/provision';
import { repoRoot } from '../repo-root';
import { startApp, stopApp, waitUntilAppReady, type RunningApp, type SuiteApp } from './suite-apps';

/**
 * `npm start`: the whole suite on this machine. Kafka ×3 and PostgreSQL keep their data under
 * SUITE_DATA_DIR across restarts; Ctrl-C stops the apps, then Kafka and PostgreSQL.
 * KAFKA_BROKERS (with SUITE_KAFKA_CREDENTIALS, a credentials file in the launcher's format) and
 * DATABASE_ADMIN_URL point it at servers you already run instead. Secrets are generated once
 * into the data directory (mode 0600) and never printed.
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
  // `on`, not `once`: a terminal's Ctrl-C arrives twice (directly and relayed by npm), and a
  // second signal must not fall back to Node's default of exiting on the spot. npm relays SIGINT
  // and SIGTERM to its script's shell only, so `npm start` execs this process in that shell's
  // place: a process manager's `kill -INT <npm's pid>` then reaches the launcher itself.
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));

  log(`data in ${dataDir}`);
  const [{ brokers: kafkaBrokers, credentials }, adminUrl] = await Promise.all([
    startKafka(),
    startPostgres(),
  ]);
  // Each app connects with its own least-privilege role and secret; see tools/db/provision.ts.
  const databaseUrls = await provisionDatabases(adminUrl, {
    passwords: dbPasswords(),
    migratorPassword: secret(`db-password-${MIGRATION_ROLE}`),
    log,
  });
  // Topics and ACLs, as the super user: the apps' principals may only verify topics.
  await provisionKafkaAs(kafkaBrokers.split(','), scramSasl(credentials.superUser), {
    orderEvents: { ORDER_EVENTS_TOPIC: 'order-events', ORDER_EVENTS_PARTITIONS: 6 },
    projectorGroup: 'order-view-projector',
  });
  log('kafka: topics and ACLs provisioned');

  const kafkaLogin = (principal: string) => {
    const credential = credentials.principals[principal];
    if (!credential) throw new Error(`no Kafka credentials for principal ${principal}`);
    return {
      KAFKA_BROKERS: kafkaBrokers,
      KAFKA_DURABILITY: 'strict',
      KAFKA_SASL_USERNAME: credential.username,
      KAFKA_SASL_PASSWORD: credential.password,
    };
  };
  const apps: SuiteApp[] = [
    {
      name: 'command-service',
      port: ports.commandService,
      env: {
        ...kafkaLogin(APP_PRINCIPALS.commandService),
        DATABASE_URL: databaseUrls.commandService,
      },
    },
    {
      name: 'projector',
      port: ports.projector,
      env: {
        ...kafkaLogin(APP_PRINCIPALS.projector),
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
  log(`  kafka            ${kafkaBrokers} (SASL/SCRAM-SHA-512)`);
  // Never the token itself: terminal scrollback and CI logs outlive the session.
  log(`  projector admin  Authorization: Bearer <the token in ${secretPath('admin-token')}>`);
  log(`  kafka logins     ${kafkaCredentialsFile()}`);
  log('Ctrl-C stops everything; data is kept for the next start.');
}

const kafkaCredentialsFile = () =>
  env.KAFKA_BROKERS
    ? resolve(env.SUITE_KAFKA_CREDENTIALS ?? '')
    : join(dataDir, 'kafka', 'credentials.json');

async function startKafka(): Promise<{ brokers: string; credentials: KafkaCredentials }> {
  if (env.KAFKA_BROKERS) {
    if (!env.SUITE_KAFKA_CREDENTIALS) {
      throw new Error("KAFKA_BROKERS needs SUITE_KAFKA_CREDENTIALS (the cluster's SCRAM logins)");
    }
    return { brokers: env.KAFKA_BROKERS, credentials: readCredentials(kafkaCredentialsFile()) };
  }
  const cluster = new LocalKafkaCluster({
    dataDir: join(dataDir, 'kafka'),
    portBase: ports.kafkaBase,
    log,
  });
  stops.push(() => cluster.stop());
  await cluster.start();
  return { brokers: cluster.bootstrapServers.join(','), credentials: cluster.credentials };
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
/** One password per app role (db-password-order_command, …). */
const dbPasswords = (): AppDatabasePasswords => ({
  commandService: secret(`db-password-${APP_ROLES.commandService.role}`),
  projector: secret(`db-password-${APP_ROLES.projector.role}`),
  queryService: secret(`db-password-${APP_ROLES.queryService.role}`),
});

const secretPath = (name: string) => join(dataDir, name);

/** Generated once per data directory (mode 0600), so it survives restarts like the data does. */
function secret(name: string): string {
  const file = secretPath(name);
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
  // The message, not the object: a driver error can quote a statement or a URL with a password.
  console.error(`[suite] failed to start: ${(error as Error).message}`);
  await shutdown('start failed', 1);
});
