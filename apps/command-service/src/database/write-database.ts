import { join } from 'node:path';
import {
  migrateDatabase,
  migrationConnection,
  postgresDataSourceOptions,
  sqlFileMigration,
  type DatabaseOptions,
  type MigrationReport,
  type PostgresDataSourceOptions,
} from '@app/database';
import { EVENT_STORE_ENTITIES } from './event-store.entities';

/** The write database's SQL files: apps/command-service/migrations (this database is the command-service's alone). */
export const WRITE_DATABASE_MIGRATIONS_DIR = join(__dirname, '../../migrations');

/** The write database's migrations, in order: each file of migrations/ (a unit test checks). */
export const WRITE_DATABASE_MIGRATIONS = [
  '0001_event_store',
  '0002_outbox_relay_lease',
  '0003_event_schema_version',
  '0004_idempotency_keys_retention',
  '0005_idempotency_response_text',
].map((id) => sqlFileMigration(WRITE_DATABASE_MIGRATIONS_DIR, id));

/** The write database's DataSource options: the command-service's and the migration CLI's. */
export function writeDatabaseOptions(connection: DatabaseOptions): PostgresDataSourceOptions {
  return postgresDataSourceOptions(connection, {
    entities: EVENT_STORE_ENTITIES,
    migrations: WRITE_DATABASE_MIGRATIONS,
  });
}

/** Brings the write database at `url` to its latest migration; `url`'s role owns the schema. */
export function migrateWriteDatabase(url: string): Promise<MigrationReport> {
  return migrateDatabase(writeDatabaseOptions(migrationConnection(url)));
}
