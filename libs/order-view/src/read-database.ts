import {
  migrateDatabase,
  migrationConnection,
  postgresDataSourceOptions,
  sqlFileMigration,
  type DatabaseOptions,
  type MigrationReport,
  type PostgresDataSourceOptions,
} from '@app/database';
import { READ_MODEL_MIGRATIONS_DIR } from './read-model';
import { READ_MODEL_ENTITIES } from './read-model.entities';

/** The read database's migrations, in order: each file of migrations/ (a unit test checks). */
export const READ_MODEL_MIGRATIONS = [
  '0001_order_view',
  '0002_parked_event_decisions',
  '0003_replay_cancelled',
  '0004_order_view_event_ids',
  '0005_order_history',
  '0006_generation_partitions',
  '0007_json_documents',
  '0008_list_indexes_per_generation',
].map((id) => sqlFileMigration(READ_MODEL_MIGRATIONS_DIR, id));

/**
 * The read database's DataSource options: the projector's and the query-service's (each with its
 * own role and settings) and the migration CLI's.
 */
export function readDatabaseOptions(connection: DatabaseOptions): PostgresDataSourceOptions {
  return postgresDataSourceOptions(connection, {
    entities: READ_MODEL_ENTITIES,
    migrations: READ_MODEL_MIGRATIONS,
  });
}

/** Brings the read database at `url` to its latest migration; `url`'s role owns the schema. */
export function migrateReadDatabase(url: string): Promise<MigrationReport> {
  return migrateDatabase(readDatabaseOptions(migrationConnection(url)));
}
