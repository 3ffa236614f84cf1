export { DatabaseEnv, databaseOptionsFromEnv, type DatabaseOptions } from './database.config';
export { BoundedPool, DatabaseOverloadedError } from './bounded-pool';
export { DatabaseModule } from './database.module';
export { DatabaseReadinessCheck } from './database.readiness';
export { readMigrations, runMigrations, type Migration } from './migrations';
export {
  UNIQUE_VIOLATION,
  isTransientDatabaseError,
  isUniqueViolation,
  withClient,
  withTransaction,
} from './transaction';
