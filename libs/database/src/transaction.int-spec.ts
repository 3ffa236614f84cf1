import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { isTransientDatabaseError, withClient, withTransaction } from './transaction';

describe('withTransaction when PostgreSQL drops its connection (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('transaction');
    pool = new Pool({ connectionString: database.url, max: 1 });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('fails transiently when the connection is dropped between two statements, and the next transaction gets a new one', async () => {
    // What a restart, a failover or an operator's terminate does to a transaction in progress:
    // the caller must see "try again" (503, a retried record), not a fault of its own.
    const failure = await withTransaction(pool, async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((resolve) => client.once('end', resolve));
      await withClient(database.url, (admin) =>
        admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]),
      );
      await ended;
      await client.query('SELECT 1');
    }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    expect(isTransientDatabaseError(failure)).toBe(true);
    const { rows } = await withTransaction(pool, (client) =>
      client.query<{ n: number }>('SELECT 1 AS n'),
    );
    expect(rows).toEqual([{ n: 1 }]);
  });
});
