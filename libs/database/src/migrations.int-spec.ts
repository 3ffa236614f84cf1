import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { runMigrations, type Migration } from './migrations';

describe('runMigrations (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeEach(async () => {
    database = await createTestDatabase('migrations');
    pool = new Pool({ connectionString: database.url, max: 6 });
  });

  afterEach(async () => {
    await pool.end();
    await database.drop();
  });

  const migrations: Migration[] = [
    { id: '0001_accounts', sql: 'CREATE TABLE accounts (id int PRIMARY KEY)' },
    { id: '0002_seed', sql: 'INSERT INTO accounts VALUES (1), (2)' },
  ];

  it('applies pending migrations once, in order, and records them', async () => {
    expect(await runMigrations(pool, migrations)).toEqual(['0001_accounts', '0002_seed']);
    expect(await runMigrations(pool, migrations)).toEqual([]);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM accounts');
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('applies each migration exactly once when several processes migrate at the same time', async () => {
    const runs = await Promise.all(
      Array.from({ length: 5 }, () => runMigrations(pool, migrations)),
    );
    expect(runs.flat().sort()).toEqual(['0001_accounts', '0002_seed']);
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM accounts');
    expect(rows[0]).toEqual({ n: 2 });
  });

  it('rolls a failing migration back whole and reports which one failed', async () => {
    const broken: Migration = {
      id: '0003_broken',
      sql: 'INSERT INTO accounts VALUES (3); INSERT INTO no_such_table VALUES (1)',
    };
    await expect(runMigrations(pool, [...migrations, broken])).rejects.toThrow(
      /Migration 0003_broken failed: relation "no_such_table" does not exist/,
    );
    const { rows } = await pool.query('SELECT id FROM accounts ORDER BY id');
    expect(rows).toEqual([{ id: 1 }, { id: 2 }]);
    const applied = await pool.query('SELECT id FROM schema_migrations ORDER BY id');
    expect(applied.rows.map((row: { id: string }) => row.id)).toEqual([
      '0001_accounts',
      '0002_seed',
    ]);
  });
});
