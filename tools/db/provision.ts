import { join } from 'node:path';
import { Client, Pool } from 'pg';
import { readMigrations, runMigrations } from '../../libs/database/src/migrations';
import { repoRoot } from '../repo-root';

/** The suite's databases: the write side's event store and the read side's views. */
export const SUITE_DATABASES = [
  { name: 'orders_write', migrations: 'apps/command-service/migrations' },
  { name: 'orders_read', migrations: 'apps/projector/migrations' },
] as const;

export type SuiteDatabaseName = (typeof SUITE_DATABASES)[number]['name'];

/** `adminUrl` with its database replaced by `database`. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates the suite's databases when missing and brings each to its latest migration. */
export async function provisionDatabases(
  adminUrl: string,
  log: (message: string) => void = () => undefined,
): Promise<void> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (const { name } of SUITE_DATABASES) {
      const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        name,
      ]);
      if (rowCount === 0) {
        await admin.query(`CREATE DATABASE "${name}"`);
        log(`created database ${name}`);
      }
    }
  } finally {
    await admin.end();
  }
  for (const { name, migrations } of SUITE_DATABASES) {
    const pool = new Pool({ connectionString: databaseUrl(adminUrl, name), max: 1 });
    try {
      const applied = await runMigrations(pool, readMigrations(join(repoRoot(), migrations)));
      log(`${name}: ${applied.length === 0 ? 'up to date' : `applied ${applied.join(', ')}`}`);
    } finally {
      await pool.end();
    }
  }
}

if (require.main === module) {
  const adminUrl = process.env.DATABASE_ADMIN_URL;
  if (!adminUrl) {
    console.error('provision: DATABASE_ADMIN_URL is required (a superuser connection URL)');
    process.exit(1);
  }
  provisionDatabases(adminUrl, (message) => console.log(`provision: ${message}`)).catch(
    (error: unknown) => {
      console.error('provision: failed', error);
      process.exit(1);
    },
  );
}
