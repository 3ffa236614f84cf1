import { Logger } from '@nestjs/common';
import * as pg from 'pg';
import { DataSource, type DataSourceOptions, type MigrationInterface } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { BoundedPool, type BoundedPoolConfig } from './bounded-pool';
import type { DatabaseOptions } from './database.config';

/** TypeORM's options for PostgreSQL. */
export type PostgresDataSourceOptions = Extract<DataSourceOptions, { type: 'postgres' }>;

/** What a database is made of: its entities and its migrations, in order. */
export interface DatabaseSchema {
  /** Decorated classes, one per table and view. */
  entities: (new () => object)[];
  migrations: (new () => MigrationInterface)[];
}

/** Where TypeORM records the migrations it ran (the home-made runner's was schema_migrations). */
export const MIGRATIONS_TABLE = 'typeorm_migrations';

const logger = new Logger('Database');

/**
 * The pg module as TypeORM's driver sees it, with BoundedPool as its Pool: TypeORM constructs
 * the pool (`new driver.Pool(extra)`), so every DataSource gets the bounded waiting queue.
 */
const BOUNDED_PG = { Pool: BoundedPool, Client: pg.Client, defaults: pg.defaults, types: pg.types };

/**
 * The one place TypeORM's options for a suite database are built; each database's factory (the
 * write side's event store, the read model) adds its entities and migrations, and the apps and
 * the migration CLI all go through it. The schema belongs to the migrations, run by the migration
 * role: TypeORM never synchronizes, never migrates at an app's boot and never installs an
 * extension, so nothing an app does at startup needs DDL.
 */
export function postgresDataSourceOptions(
  connection: DatabaseOptions,
  { entities, migrations }: DatabaseSchema,
): PostgresDataSourceOptions {
  const pool: BoundedPoolConfig = {
    connectionString: connection.url,
    max: connection.poolMax,
    maxWaiting: connection.poolMaxWaiting,
    application_name: connection.applicationName,
    // A request waits this long for a connection, then fails as "unavailable" (503); beyond
    // maxWaiting queued requests, one is refused at once (503 OVERLOADED).
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    // Nothing waits on the database unbounded: a lock held by a migration or an operator's
    // session, or a stuck statement, fails the work (a transient error that is retried) instead
    // of hanging it, so a consumer's batch cannot stall unseen.
    ...(connection.statementTimeoutMs === undefined
      ? {}
      : { statement_timeout: connection.statementTimeoutMs }),
    ...(connection.lockTimeoutMs === undefined ? {} : { lock_timeout: connection.lockTimeoutMs }),
    idle_in_transaction_session_timeout: 60_000,
  };
  return {
    type: 'postgres',
    url: connection.url,
    driver: BOUNDED_PG,
    // TypeORM passes `extra` to the pool last, over anything it derived itself.
    extra: pool,
    // A pooled connection that PostgreSQL drops (restart, failover) emits 'error'; without a
    // listener Node would end the process. The pool replaces the connection.
    poolErrorHandler: logLostConnection,
    entities,
    migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    dropSchema: false,
    installExtensions: false,
    logging: false,
  };
}

function logLostConnection(error: Error): void {
  logger.warn(`database connection lost: ${error.message}`);
}

/**
 * Opens an app's DataSource without connecting. TypeORM's initialize() opens a connection at once
 * (and reads the server's version and search path), and TypeOrmModule retries it, then fails the
 * boot: an app could not start while PostgreSQL is away. Apps must start, report not-ready and
 * answer 503 instead, and take up their work when the database is back, as a pg pool lets them
 * (it connects on first use). So this does what initialize() does minus the connecting: the pool
 * (TypeORM's own `master`, built from the same options) and the entity metadata. Nothing here
 * runs SQL, so nothing an app does at boot needs the database, let alone DDL.
 */
export async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const dataSource = new DataSource(options);
  const driver = dataSource.driver as PostgresDriver;
  const { url, poolErrorHandler } = options as PostgresDataSourceOptions;
  const extra = (options as PostgresDataSourceOptions).extra as BoundedPoolConfig;
  const pool = new (driver.postgres as typeof BOUNDED_PG).Pool({ connectionString: url, ...extra });
  pool.on('error', poolErrorHandler ?? logLostConnection);
  // pg emits 'error' on a connection PostgreSQL drops (a restart, an operator's terminate). The
  // pool hears it while the connection is idle, and code holding one while a statement runs;
  // held between statements, nothing may, and an unheard 'error' ends the process. This listener
  // is always there: the holder's next statement fails, and the pool drops the connection on
  // its release (it is no longer queryable).
  pool.on('connect', (client: pg.PoolClient) => client.on('error', () => undefined));
  driver.master = pool;
  // Protected in TypeORM's typings; it is what initialize() calls after connecting.
  await (dataSource as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  Object.assign(dataSource, { isInitialized: true });
  return dataSource;
}

/** The DataSource's own pg pool, for the raw SQL that is the design (the append, batch upserts). */
export function dataSourcePool(dataSource: DataSource): pg.Pool {
  const master: unknown = (dataSource.driver as PostgresDriver).master;
  if (!(master instanceof pg.Pool)) throw new Error('the DataSource has no pg pool: not open');
  return master;
}
