import { DataSource } from 'typeorm';
import type { DatabaseOptions } from './database.config';
import type { PostgresDataSourceOptions } from './data-source';
import type { SqlFileMigration } from './sql-migration';

// Any fixed number works; it only has to be the same for every process migrating this database.
// It is the home-made runner's key, but that runner locked per migration and knows only
// schema_migrations: once this runner has migrated a database, the previous release's
// provisioning fails on it (each migration rolled back whole, nothing corrupted); going back to
// that release needs schema_migrations filled in from typeorm_migrations by hand.
const MIGRATION_LOCK_KEY = 727_001;

/** What a run did, by TypeORM migration name. */
export interface MigrationReport {
  /** Applied now, in order. */
  applied: string[];
  /** Found applied by the home-made runner (schema_migrations): recorded, not run again. */
  recognised: string[];
}

/**
 * The connection a migration run uses (as the migration role): two connections, one for the
 * lock and one for the migrations, and no statement or lock timeout (an index build may take long).
 */
export function migrationConnection(url: string): DatabaseOptions {
  return { url, poolMax: 2, poolMaxWaiting: 10, applicationName: 'db-migrate' };
}

/**
 * Brings a database to its latest migration with TypeORM's runMigrations, each migration in a
 * transaction of its own together with its record, so a failing one is rolled back whole and
 * the ones before it stay. TypeORM does not lock: two processes migrating at once (instances
 * provisioning together) would both apply a migration. A session-level advisory lock, held on a
 * connection of its own around the whole run, makes the second wait and then find nothing
 * pending; should the process die, its connection and the lock go with it.
 */
export async function migrateDatabase(
  options: PostgresDataSourceOptions,
): Promise<MigrationReport> {
  const dataSource = await new DataSource(options).initialize();
  try {
    const lock = dataSource.createQueryRunner();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      try {
        const executed = await dataSource.runMigrations({ transaction: 'each' });
        const report: MigrationReport = { applied: [], recognised: [] };
        for (const { name, instance } of executed) {
          const recognised = (instance as Partial<SqlFileMigration> | undefined)?.recognised;
          (recognised ? report.recognised : report.applied).push(name);
        }
        return report;
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      }
    } finally {
      await lock.release();
    }
  } finally {
    await dataSource.destroy();
  }
}
