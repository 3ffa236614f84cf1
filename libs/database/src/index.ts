export {
  DATABASE_CONFIG,
  DatabaseEnv,
  databaseConfig,
  databaseOptionsFromEnv,
  type DatabaseOptions,
} from './database.config';
export { BoundedPool, DatabaseOverloadedError, type BoundedPoolConfig } from './bounded-pool';
export {
  MIGRATIONS_TABLE,
  dataSourcePool,
  openDataSource,
  postgresDataSourceOptions,
  type DatabaseSchema,
  type PostgresDataSourceOptions,
} from './data-source';
export { DatabaseModule, type DatabaseModuleOptions } from './database.module';
export { DatabaseReadinessCheck } from './database.readiness';
export { migrateDatabase, migrationConnection, type MigrationReport } from './migrate';
export {
  LEGACY_MIGRATIONS_TABLE,
  MigrationFailedError,
  SQL_MIGRATION_EPOCH,
  sqlFileMigration,
  type SqlFileMigration,
  type SqlFileMigrationClass,
} from './sql-migration';
export {
  UNIQUE_VIOLATION,
  isTransientDatabaseError,
  isUniqueViolation,
  withClient,
  withTransaction,
} from './transaction';
