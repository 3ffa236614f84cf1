import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LEGACY_MIGRATIONS_TABLE,
  withClient,
  type MigrationReport,
  type SqlFileMigrationClass,
} from '@app/database';
import {
  READ_MODEL_MIGRATIONS,
  READ_MODEL_MIGRATIONS_DIR,
  migrateReadDatabase,
} from '@app/order-view';
import {
  WRITE_DATABASE_MIGRATIONS,
  WRITE_DATABASE_MIGRATIONS_DIR,
  migrateWriteDatabase,
} from '../../apps/command-service/src/database/write-database';
import { schemaSnapshot } from '../../test/infra/schema-catalog';
import { createTestDatabase, type TestDatabase } from '../../test/infra/test-infra';
import { MIGRATION_URL_VARIABLES, migrateSuiteDatabases } from './migrate';

/**
 * The suite's two databases, migrated by TypeORM from scratch and from what the home-made runner
 * left (all of its migrations, or the first ones): the same schema either way, nothing applied
 * twice, the data kept.
 */
const DATABASES = [
  {
    side: 'write',
    directory: WRITE_DATABASE_MIGRATIONS_DIR,
    migrations: WRITE_DATABASE_MIGRATIONS,
    migrate: migrateWriteDatabase,
    seed: `INSERT INTO order_events (order_id, version, event_id, type, data, metadata, occurred_at)
           VALUES ('kept-1', 1, gen_random_uuid(), 'OrderPlaced', '{}', '{}', now())`,
    kept: "SELECT order_id AS id FROM order_events WHERE order_id = 'kept-1'",
  },
  {
    side: 'read',
    directory: READ_MODEL_MIGRATIONS_DIR,
    migrations: READ_MODEL_MIGRATIONS,
    migrate: migrateReadDatabase,
    seed: `INSERT INTO order_view (generation, order_id, customer_id, status, placed_at, version,
                                   applied_events, document)
           VALUES (1, 'kept-1', 'c-1', 'PLACED', now(), 1, 1, '{}')`,
    kept: "SELECT order_id AS id FROM current_order_view WHERE order_id = 'kept-1'",
  },
] as const;

const names = (migrations: readonly SqlFileMigrationClass[]) =>
  migrations.map((Migration) => new Migration().name);

/** What the home-made runner did: each file in a transaction with its row in schema_migrations. */
async function migrateTheOldWay(
  url: string,
  directory: string,
  migrations: readonly SqlFileMigrationClass[],
): Promise<void> {
  await withClient(url, async (client) => {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${LEGACY_MIGRATIONS_TABLE} (
         id text PRIMARY KEY,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    for (const Migration of migrations) {
      const { legacyId } = new Migration();
      await client.query('BEGIN');
      await client.query(readFileSync(join(directory, `${legacyId}.sql`), 'utf8'));
      await client.query(`INSERT INTO ${LEGACY_MIGRATIONS_TABLE} (id) VALUES ($1)`, [legacyId]);
      await client.query('COMMIT');
    }
  });
}

describe.each(DATABASES)('the $side database, migrated by TypeORM (real PostgreSQL)', (db) => {
  const databases: TestDatabase[] = [];
  let fresh: Record<string, string[]>;

  async function database(): Promise<TestDatabase> {
    const created = await createTestDatabase(`migrate_${db.side}`);
    databases.push(created);
    return created;
  }

  beforeAll(async () => {
    const { url } = await database();
    expect(await db.migrate(url)).toEqual({ applied: names(db.migrations), recognised: [] });
    fresh = await withClient(url, schemaSnapshot);
  });

  afterAll(async () => {
    for (const created of databases) await created.drop();
  });

  it('recognises a database the home-made runner migrated: nothing applied again, data kept, same schema', async () => {
    const { url } = await database();
    await migrateTheOldWay(url, db.directory, db.migrations);
    await withClient(url, (client) => client.query(db.seed));
    const report: MigrationReport = await db.migrate(url);
    expect(report).toEqual({ applied: [], recognised: names(db.migrations) });
    expect(
      await withClient(url, async (c) => (await c.query<{ id: string }>(db.kept)).rows),
    ).toEqual([{ id: 'kept-1' }]);
    expect(await withClient(url, schemaSnapshot)).toEqual(fresh);
    expect(await db.migrate(url)).toEqual({ applied: [], recognised: [] });
  });

  it('applies only the rest to a database the home-made runner migrated in part, same schema', async () => {
    const { url } = await database();
    const k = 2;
    await migrateTheOldWay(url, db.directory, db.migrations.slice(0, k));
    expect(await db.migrate(url)).toEqual({
      applied: names(db.migrations.slice(k)),
      recognised: names(db.migrations.slice(0, k)),
    });
    expect(await withClient(url, schemaSnapshot)).toEqual(fresh);
  });
});

describe('npm run db:migrate', () => {
  it('migrates the databases whose URLs it is given', async () => {
    const [write, read] = [
      await createTestDatabase('cli_write'),
      await createTestDatabase('cli_read'),
    ];
    try {
      const lines: string[] = [];
      const env = {
        [MIGRATION_URL_VARIABLES.write]: write.url,
        [MIGRATION_URL_VARIABLES.read]: read.url,
      };
      await migrateSuiteDatabases(env, (line) => lines.push(line));
      await migrateSuiteDatabases(env, (line) => lines.push(line));
      expect(lines).toEqual([
        `${write.name}: applied ${names(WRITE_DATABASE_MIGRATIONS).join(', ')}`,
        `${read.name}: applied ${names(READ_MODEL_MIGRATIONS).join(', ')}`,
        `${write.name}: up to date`,
        `${read.name}: up to date`,
      ]);
    } finally {
      await write.drop();
      await read.drop();
    }
  });
});
