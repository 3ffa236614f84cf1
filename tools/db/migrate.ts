import type { MigrationReport } from '@app/database';
import { migrateReadDatabase } from '@app/order-view';
import { migrateWriteDatabase } from '../../apps/command-service/src/database/write-database';

/**
 * `npm run db:migrate`: brings the suite's databases to their latest TypeORM migration, through
 * the same DataSource factories the apps use. Each URL names the database and a role that owns
 * its schema (order_migrator in the suite; `npm run db:provision` does this and more: databases,
 * roles and grants). Either may be left out to migrate only the other.
 */
export const MIGRATION_URL_VARIABLES = {
  write: 'WRITE_DATABASE_URL',
  read: 'READ_DATABASE_URL',
} as const;

const MIGRATE = { write: migrateWriteDatabase, read: migrateReadDatabase } as const;

export async function migrateSuiteDatabases(
  env: Record<string, string | undefined>,
  log: (message: string) => void,
): Promise<void> {
  for (const side of ['write', 'read'] as const) {
    const url = env[MIGRATION_URL_VARIABLES[side]];
    if (!url) continue;
    const { applied, recognised }: MigrationReport = await MIGRATE[side](url);
    const database = new URL(url).pathname.slice(1);
    if (recognised.length > 0) {
      log(`${database}: recognised ${recognised.join(', ')} (applied by the previous runner)`);
    }
    log(`${database}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
  }
}

if (require.main === module) {
  const variables = Object.values(MIGRATION_URL_VARIABLES);
  if (variables.every((name) => !process.env[name])) {
    console.error(
      `db:migrate: set ${variables.join(' and/or ')} (postgres:// URLs of a role that owns the schema)`,
    );
    process.exit(1);
  }
  migrateSuiteDatabases(process.env, (message) => console.log(`db:migrate: ${message}`)).catch(
    (error: unknown) => {
      // The message only: a connection error can quote the URL, and the URL carries a password.
      console.error(`db:migrate: failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
