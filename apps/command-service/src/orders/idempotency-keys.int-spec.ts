import { Pool } from 'pg';
import { withTransaction } from '@app/database';
import { readHandle } from '../../../../test/infra/infra-handle';
import { createTestDatabase, type TestDatabase } from '../../../../test/infra/test-infra';
import { APP_ROLES, grantAppRole } from '../../../../tools/db/provision';
import { waitFor } from '../../../../tools/local-infra/wait-for';
import { migrateWriteDatabase } from '../database/write-database';
import { IdempotencyKeys } from './idempotency-keys';

/** Retention of idempotency keys, as the command-service's own role sees the table. */
describe('idempotency key retention (real PostgreSQL)', () => {
  let database: TestDatabase;
  let admin: Pool;
  let service: Pool;
  const keys = new IdempotencyKeys({ retentionHours: 24, cleanupIntervalMs: 60_000 });

  beforeAll(async () => {
    database = await createTestDatabase('idempotency');
    admin = new Pool({ connectionString: database.url, max: 2 });
    await migrateWriteDatabase(database.url);
    const url = await grantAppRole(readHandle().databaseAdminUrl, {
      database: database.name,
      role: APP_ROLES.commandService.role,
      access: APP_ROLES.commandService.access,
      password: 'idempotency-int-spec',
    });
    service = new Pool({ connectionString: url, max: 2 });
  });

  afterAll(async () => {
    await service?.end();
    await admin?.end();
    await database?.drop();
  });

  /** Stores `key` as answered `hoursAgo` hours ago. */
  async function storeKey(key: string, hoursAgo: number): Promise<void> {
    await admin.query(
      `INSERT INTO idempotency_keys (key, request_hash, response, created_at)
       VALUES ($1, 'first-request', '{"status": 201}', now() - $2 * interval '1 hour')`,
      [key, hoursAgo],
    );
  }

  const sessionsWaitingOnALock = async () =>
    (
      await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      )
    ).rows[0].n;

  const remaining = async () =>
    (await admin.query<{ key: string }>('SELECT key FROM idempotency_keys ORDER BY key')).rows.map(
      (row) => row.key,
    );

  it('deletes the keys older than the retention and keeps the younger ones', async () => {
    await storeKey('expired-1', 25);
    await storeKey('expired-2', 24 * 30);
    await storeKey('fresh-1', 23);
    expect(await keys.deleteExpired(service)).toBe(2);
    expect(await remaining()).toEqual(['fresh-1']);
    expect(await keys.deleteExpired(service)).toBe(0);
  });

  it('replays a key within the retention, and takes over an expired one as a new request', async () => {
    await storeKey('young', 1);
    await storeKey('old', 48);
    const claim = (key: string, fingerprint: string) =>
      withTransaction(service, (client) => keys.claim(client, key, fingerprint));
    expect(await claim('young', 'first-request')).toEqual({
      kind: 'replay',
      response: { status: 201 },
    });
    await expect(claim('young', 'another-request')).rejects.toThrow(/already used/);
    expect(await claim('old', 'another-request')).toEqual({ kind: 'claimed' });
  });

  it("replays the previous release's answer, not the old text, for a key it took over", async () => {
    // What the previous release does during a rolling deploy: it reads and writes only the
    // jsonb, so a key it took over still holds the earlier request's exact text.
    await storeKey('previous-release', 1);
    await admin.query(
      `UPDATE idempotency_keys SET response_text = '{"status":201,"body":{"orderId":"first"}}',
         response = '{"status": 201, "body": {"orderId": "second"}}' WHERE key = 'previous-release'`,
    );
    const claimed = await withTransaction(service, (client) =>
      keys.claim(client, 'previous-release', 'first-request'),
    );
    expect(claimed).toEqual({
      kind: 'replay',
      response: { status: 201, body: { orderId: 'second' } },
    });
  });

  it('spares a key taken over while the cleanup runs', async () => {
    await storeKey('taken-over', 48);
    // A request takes the expired key over and has not committed yet when the cleanup runs.
    const request = await service.connect();
    try {
      await request.query('BEGIN');
      expect(await keys.claim(request, 'taken-over', 'a-new-request')).toEqual({
        kind: 'claimed',
      });
      let cleanupEnded = false;
      const cleanup = keys.deleteExpired(service).finally(() => (cleanupEnded = true));
      // Commit only once the cleanup either finished or waits on the request's row lock: the
      // moment that used to delete the fresh key once the request committed.
      await waitFor(async () => cleanupEnded || (await sessionsWaitingOnALock()) > 0, {
        timeoutMs: 10_000,
        description: 'the cleanup to finish or wait on the row lock',
      });
      await request.query('COMMIT');
      await cleanup;
    } finally {
      request.release();
    }
    expect(await remaining()).toContain('taken-over');
  });

  it('finds expired keys through an index on their age', async () => {
    const { rows } = await admin.query<{ indexdef: string }>(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'idempotency_keys'",
    );
    expect(rows.map((row) => row.indexdef)).toContainEqual(
      expect.stringMatching(/\(created_at\)$/),
    );
  });
});
