import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Pool } from 'pg';

export interface Migration {
  /** File name without extension, e.g. `0001_order_events`; applied in name order. */
  id: string;
  sql: string;
}

/** Reads `NNNN_name.sql` files from a directory, in name order. */
export function readMigrations(directory: string): Migration[] {
  return readdirSync(directory)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      id: file.replace(/\.sql$/, ''),
      sql: readFileSync(join(directory, file), 'utf8'),
    }));
}

// Any fixed number works; it only has to be the same for every process migrating this database.
const MIGRATION_LOCK_KEY = 727_001;

/**
 * Applies the migrations not applied yet, each in its own transaction together with its row in
 * `schema_migrations`. A transaction-level advisory lock makes concurrent runs (two instances
 * booting at once) apply each migration exactly once. Returns the ids it applied.
 */
export async function runMigrations(pool: Pool, migrations: Migration[]): Promise<string[]> {
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    // Under the lock too: concurrent CREATE TABLE IF NOT EXISTS can still collide.
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         id text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    await client.query('COMMIT');
    for (const migration of migrations) {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
        const { rowCount } = await client.query('SELECT 1 FROM schema_migrations WHERE id = $1', [
          migration.id,
        ]);
        if (rowCount === 0) {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [migration.id]);
          applied.push(migration.id);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${migration.id} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
    return applied;
  } finally {
    client.release();
  }
}
