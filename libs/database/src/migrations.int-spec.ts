import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schemaSnapshot } from '../../../test/infra/schema-catalog';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { postgresDataSourceOptions } from './data-source';
import { migrateDatabase, migrationConnection } from './migrate';
import { LEGACY_MIGRATIONS_TABLE, sqlFileMigration } from './sql-migration';
import { withClient } from './transaction';

/** Migration files of a small schema with one of everything the catalog comparison covers. */
const FILES: Record<string, string> = {
  '0001_accounts': `
    CREATE TABLE accounts (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      owner text NOT NULL CHECK (length(owner) > 0),
      opened_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX accounts_by_owner ON accounts (owner, opened_at DESC);
    CREATE FUNCTION notify_accounts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('accounts', '');
      RETURN NULL;
    END;
    $$;
    CREATE TRIGGER accounts_notify AFTER INSERT ON accounts
      FOR EACH STATEMENT EXECUTE FUNCTION notify_accounts();`,
  '0002_seed': `INSERT INTO accounts (owner) VALUES ('ann'), ('bob');`,
  '0003_account_names': `
    ALTER TABLE accounts ADD COLUMN name text NOT NULL DEFAULT '';
    CREATE VIEW named_accounts AS SELECT id, owner, name FROM accounts WHERE name <> '';`,
};
const IDS = Object.keys(FILES);
const NAMES = ['Accounts1764547200001', 'Seed1764547200002', 'AccountNames1764547200003'];

describe('migrateDatabase: TypeORM migrations of SQL files (real PostgreSQL)', () => {
  let directory: string;
  let database: TestDatabase;

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'migrations-'));
    for (const [id, sql] of Object.entries(FILES)) writeFileSync(join(directory, `${id}.sql`), sql);
    writeFileSync(
      join(directory, '0004_broken.sql'),
      "INSERT INTO accounts (owner) VALUES ('carl'); INSERT INTO no_such_table VALUES (1);",
    );
  });

  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  beforeEach(async () => {
    database = await createTestDatabase('migrations');
  });

  afterEach(() => database.drop());

  const migrate = (ids: string[] = IDS, url = database.url) =>
    migrateDatabase(
      postgresDataSourceOptions(migrationConnection(url), {
        entities: [],
        migrations: ids.map((id) => sqlFileMigration(directory, id)),
      }),
    );

  const sql = <T>(text: string, url = database.url) =>
    withClient(url, async (client) => (await client.query(text)).rows as T[]);

  const owners = async () =>
    (await sql<{ owner: string }>('SELECT owner FROM accounts ORDER BY id')).map((r) => r.owner);

  const recorded = async () =>
    (await sql<{ name: string }>('SELECT name FROM typeorm_migrations ORDER BY id')).map(
      (row) => row.name,
    );

  /** What the home-made runner did: each file in a transaction with its row in schema_migrations. */
  async function migrateTheOldWay(ids: string[], url = database.url): Promise<void> {
    await withClient(url, async (client) => {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${LEGACY_MIGRATIONS_TABLE} (
           id text PRIMARY KEY,
           applied_at timestamptz NOT NULL DEFAULT now()
         )`,
      );
      for (const id of ids) {
        await client.query('BEGIN');
        await client.query(readFileSync(join(directory, `${id}.sql`), 'utf8'));
        await client.query(`INSERT INTO ${LEGACY_MIGRATIONS_TABLE} (id) VALUES ($1)`, [id]);
        await client.query('COMMIT');
      }
    });
  }

  it('applies pending migrations once, in order, and records them', async () => {
    expect(await migrate()).toEqual({ applied: NAMES, recognised: [] });
    expect(await migrate()).toEqual({ applied: [], recognised: [] });
    expect(await owners()).toEqual(['ann', 'bob']);
    expect(await recorded()).toEqual(NAMES);
  });

  it('applies each migration exactly once when several processes migrate at the same time', async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => migrate()));
    expect(runs.flatMap((run) => run.applied).sort()).toEqual([...NAMES].sort());
    expect(await owners()).toEqual(['ann', 'bob']);
    expect(await recorded()).toEqual(NAMES);
  });

  it('rolls a failing migration back whole and reports which one failed', async () => {
    await expect(migrate([...IDS, '0004_broken'])).rejects.toThrow(
      /Migration 0004_broken failed: relation "no_such_table" does not exist/,
    );
    expect(await owners()).toEqual(['ann', 'bob']);
    expect(await recorded()).toEqual(NAMES);
  });

  it('recognises a database the home-made runner migrated: nothing applied again, data intact', async () => {
    await migrateTheOldWay(IDS);
    await sql("INSERT INTO accounts (owner, name) VALUES ('dora', 'Dora')");
    expect(await migrate()).toEqual({ applied: [], recognised: NAMES });
    expect(await owners()).toEqual(['ann', 'bob', 'dora']);
    expect(await sql('SELECT owner, name FROM named_accounts')).toEqual([
      { owner: 'dora', name: 'Dora' },
    ]);
    expect(await recorded()).toEqual(NAMES);
    expect(await migrate()).toEqual({ applied: [], recognised: [] });
  });

  it('applies only the rest to a database the home-made runner migrated in part', async () => {
    await migrateTheOldWay(IDS.slice(0, 2));
    await sql("INSERT INTO accounts (owner) VALUES ('dora')");
    expect(await migrate()).toEqual({ applied: NAMES.slice(2), recognised: NAMES.slice(0, 2) });
    expect(await owners()).toEqual(['ann', 'bob', 'dora']);
    expect(await recorded()).toEqual(NAMES);
  });

  it('ends at the same schema on a fresh database and on ones the home-made runner began', async () => {
    await migrate();
    const fresh = await withClient(database.url, schemaSnapshot);
    for (const k of [0, 1, 3]) {
      const existing = await createTestDatabase('migrations_old');
      try {
        await migrateTheOldWay(IDS.slice(0, k), existing.url);
        await migrate(IDS, existing.url);
        expect([k, await withClient(existing.url, schemaSnapshot)]).toEqual([k, fresh]);
      } finally {
        await existing.drop();
      }
    }
    // The comparison sees every kind of object the files make.
    for (const kind of ['columns', 'constraints', 'indexes', 'views', 'functions', 'triggers']) {
      expect([kind, fresh[kind].length > 0]).toEqual([kind, true]);
    }
  });
});
