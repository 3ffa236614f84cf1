import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The home-made runner's record of what it applied (ids like `0003_replay_cancelled`). */
export const LEGACY_MIGRATIONS_TABLE = 'schema_migrations';

/**
 * 2025-12-01T00:00:00Z. TypeORM orders migrations by the 13-digit JavaScript timestamp that ends
 * each name; a wrapped file `NNNN_name.sql` gets this plus NNNN, fixed forever (the name is what
 * TypeORM records). A migration written later as a TypeORM class takes the time it was written,
 * so it sorts after every file.
 */
export const SQL_MIGRATION_EPOCH = 1_764_547_200_000;

const MIGRATION_ID = /^(\d{4})_([a-z0-9]+(?:_[a-z0-9]+)*)$/;

/** A migration failed and was rolled back whole; `migration` names it. */
export class MigrationFailedError extends Error {
  constructor(
    readonly migration: string,
    cause: unknown,
  ) {
    super(`Migration ${migration} failed: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
    });
    this.name = 'MigrationFailedError';
  }
}

/** A migration that applies one `NNNN_name.sql` file (see sqlFileMigration). */
export interface SqlFileMigration extends MigrationInterface {
  readonly name: string;
  /** The file's name without `.sql`: the id the home-made runner recorded. */
  readonly legacyId: string;
  /** Set by up(): the database was migrated by the home-made runner, so the SQL was not run. */
  recognised: boolean;
}

export type SqlFileMigrationClass = new () => SqlFileMigration;

/**
 * Wraps `<directory>/<id>.sql` as a TypeORM migration named `<Name><timestamp>`
 * (`0003_replay_cancelled` → `ReplayCancelled1764547200003`). The SQL is read when the migration
 * runs, so an app that only lists its migrations never touches the files.
 *
 * A database the home-made runner migrated recorded the file in `schema_migrations`: up() then
 * skips the SQL, and TypeORM records the migration as its own, so the file is never applied twice.
 * up() runs inside the migration's transaction (transaction mode `each`), so a failing file is
 * rolled back whole, and it is named in the error.
 */
export function sqlFileMigration(directory: string, id: string): SqlFileMigrationClass {
  const match = MIGRATION_ID.exec(id);
  if (!match) throw new Error(`${id}: a SQL migration is a file named NNNN_name.sql`);
  const name = `${pascalCase(match[2])}${SQL_MIGRATION_EPOCH + Number(match[1])}`;
  const migration = class implements SqlFileMigration {
    readonly name = name;
    readonly legacyId = id;
    recognised = false;

    async up(queryRunner: QueryRunner): Promise<void> {
      try {
        if (await appliedByLegacyRunner(queryRunner, id)) {
          this.recognised = true;
          return;
        }
        await queryRunner.query(readFileSync(join(directory, `${id}.sql`), 'utf8'));
      } catch (error) {
        throw new MigrationFailedError(id, error);
      }
    }

    down(): Promise<void> {
      return Promise.reject(new Error(`${name}: the suite's migrations are forward-only`));
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}

async function appliedByLegacyRunner(queryRunner: QueryRunner, id: string): Promise<boolean> {
  const [{ present }] = (await queryRunner.query(
    `SELECT to_regclass('${LEGACY_MIGRATIONS_TABLE}') IS NOT NULL AS present`,
  )) as { present: boolean }[];
  if (!present) return false;
  const rows = (await queryRunner.query(`SELECT 1 FROM ${LEGACY_MIGRATIONS_TABLE} WHERE id = $1`, [
    id,
  ])) as unknown[];
  return rows.length > 0;
}

function pascalCase(snake: string): string {
  return snake
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}
