import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Pool } from 'pg';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { validateEnv } from '@app/config';
import { freePort } from '../../../test/infra/free-port';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { BoundedPool, DatabaseOverloadedError } from './bounded-pool';
import { DatabaseEnv } from './database.config';
import { DatabaseModule } from './database.module';
import { DatabaseReadinessCheck } from './database.readiness';
import { postgresDataSourceOptions } from './data-source';
import { withClient } from './transaction';

@Entity({ name: 'probe' })
class ProbeEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'text' })
  note!: string;
}

/** DatabaseModule as an app has it: TypeOrmModule's DataSource, and its pool under `Pool`. */
async function databaseModule(env: Record<string, string>): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      DatabaseModule.forRoot({
        applicationName: 'database-module-int-spec',
        env: validateEnv(DatabaseEnv, env),
        dataSource: (connection) =>
          postgresDataSourceOptions(connection, { entities: [ProbeEntity], migrations: [] }),
      }),
    ],
  }).compile();
  return moduleRef.init();
}

describe('DatabaseModule on TypeORM (real PostgreSQL)', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase('database_module');
    await withClient(database.url, (client) =>
      client.query(
        "CREATE TABLE probe (id integer PRIMARY KEY, note text NOT NULL); INSERT INTO probe VALUES (1, 'one')",
      ),
    );
  });

  afterAll(() => database?.drop());

  it("injects the DataSource's own bounded pool as Pool, with the suite's session settings", async () => {
    const moduleRef = await databaseModule({
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '3',
      DATABASE_STATEMENT_TIMEOUT_MS: '1234',
      DATABASE_LOCK_TIMEOUT_MS: '567',
    });
    try {
      const dataSource = moduleRef.get<DataSource>(getDataSourceToken());
      const pool = moduleRef.get(Pool);
      expect(pool).toBe((dataSource.driver as PostgresDriver).master);
      expect(pool).toBeInstanceOf(BoundedPool);
      expect(pool.options.max).toBe(3);
      const [settings] = await dataSource.query<Record<string, string>[]>(
        `SELECT current_setting('statement_timeout') AS statement,
                current_setting('lock_timeout') AS lock,
                current_setting('idle_in_transaction_session_timeout') AS idle,
                current_setting('application_name') AS application`,
      );
      expect(settings).toEqual({
        statement: '1234ms',
        lock: '567ms',
        idle: '1min',
        application: 'database-module-int-spec',
      });
      // Repositories read through the same pool.
      expect(await dataSource.getRepository(ProbeEntity).find()).toEqual([{ id: 1, note: 'one' }]);
      await expect(moduleRef.get(DatabaseReadinessCheck).check()).resolves.toEqual({});
    } finally {
      await moduleRef.close();
    }
  });

  it('refuses at once beyond DATABASE_POOL_MAX_WAITING, through the pool and through TypeORM', async () => {
    const moduleRef = await databaseModule({
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '1',
      DATABASE_POOL_MAX_WAITING: '1',
    });
    const pool = moduleRef.get(Pool);
    const held = await pool.connect();
    // The one place in line.
    const waiting = pool.query<{ n: number }>('SELECT 1 AS n');
    try {
      await expect(pool.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseOverloadedError);
      const dataSource = moduleRef.get<DataSource>(getDataSourceToken());
      await expect(dataSource.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseOverloadedError);
    } finally {
      held.release();
      expect((await waiting).rows).toEqual([{ n: 1 }]);
      await moduleRef.close();
    }
  });

  it('hands out a free connection with a waiting bound of 0, and refuses the one that would wait', async () => {
    const moduleRef = await databaseModule({
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '1',
      DATABASE_POOL_MAX_WAITING: '0',
    });
    const pool = moduleRef.get(Pool);
    try {
      const held = await pool.connect();
      await expect(pool.query('SELECT 1')).rejects.toBeInstanceOf(DatabaseOverloadedError);
      held.release();
      expect((await pool.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await moduleRef.close();
    }
  });

  it('counts a burst within one tick against the bound, though a connection is idle', async () => {
    const moduleRef = await databaseModule({
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: '1',
      DATABASE_POOL_MAX_WAITING: '1',
    });
    const pool = moduleRef.get(Pool);
    try {
      // One connection, idle: the first caller takes it, the second waits, the rest are refused.
      (await pool.connect()).release();
      const burst = await Promise.allSettled(
        Array.from({ length: 5 }, () => pool.query<{ n: number }>('SELECT 1 AS n')),
      );
      expect(burst.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'rejected',
        'rejected',
      ]);
      for (const outcome of burst.slice(2)) {
        expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(DatabaseOverloadedError);
      }
    } finally {
      await moduleRef.close();
    }
  });

  it('lives on when PostgreSQL drops a connection held between statements, and the pool replaces it', async () => {
    const moduleRef = await databaseModule({ DATABASE_URL: database.url, DATABASE_POOL_MAX: '1' });
    const pool = moduleRef.get(Pool);
    try {
      const held = await pool.connect();
      const { rows } = await held.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const ended = new Promise((resolve) => held.once('end', resolve));
      // What a restart or an operator's terminate does to it: PostgreSQL's FATAL 57P01 arrives
      // with no statement in flight, an 'error' event that ends the process if nothing hears it.
      await withClient(database.url, (admin) =>
        admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]),
      );
      await ended;
      held.release();

      expect((await pool.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
    } finally {
      await moduleRef.close();
    }
  });

  it('starts without its database, reports it not ready, and ends the pool once on close', async () => {
    // Nothing listens on a port just handed out and released.
    const moduleRef = await databaseModule({
      DATABASE_URL: `postgres://nobody:x@127.0.0.1:${await freePort()}/nothing`,
    });
    const pool = moduleRef.get(Pool);
    await expect(moduleRef.get(DatabaseReadinessCheck).check()).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    await moduleRef.close();
    expect(pool.ended).toBe(true);
    expect(moduleRef.get<DataSource>(getDataSourceToken()).isInitialized).toBe(false);
  });
});
