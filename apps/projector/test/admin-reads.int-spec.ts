import { Pool } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import { migrateReadDatabase } from '@app/order-view';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import type { ParkedEventRow } from '../src/view/order-view.store';
import { postgresProjection } from './postgres-projection';

const TOPIC = 'order-events';

/**
 * The admin's reads that go through TypeORM's repositories (GET /admin/parked, the replay of
 * GET /admin/projections/order-view) return what the raw SQL they replaced returned, to the byte
 * once serialised: field names and order, bigint offsets as text, dates, the ordering and limit.
 */
describe('admin reads on TypeORM repositories (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('admin_reads');
    pool = new Pool({ connectionString: database.url, max: 4 });
    await migrateReadDatabase(database.url);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  /** GET /admin/parked's query before TypeORM. */
  async function parkedAsBefore(generation: number, limit: number) {
    const { rows } = await pool.query(
      `SELECT topic, partition, "offset"::text AS "offset", order_id AS "orderId",
              version, event_type AS "eventType", envelope, reason, parked_at AS "parkedAt",
              resolution, resolved_at AS "resolvedAt"
         FROM parked_events WHERE generation = $1
        ORDER BY resolution IS NOT NULL, coalesce(resolved_at, parked_at) DESC, order_id, version
        LIMIT $2`,
      [generation, limit],
    );
    return rows as unknown[];
  }

  /** The replay reads before TypeORM. */
  async function replayAsBefore(where: string) {
    const { rows } = await pool.query(
      `SELECT replay_id AS "replayId", generation, status,
              target_offsets AS "targetOffsets", total_events::float8 AS "totalEvents",
              started_at AS "startedAt", finished_at AS "finishedAt"
         FROM order_view_replays ${where}`,
    );
    return rows[0] as unknown;
  }

  it('lists parked events as the raw query did: open first, then latest resolved, to the limit', async () => {
    const { store, parked } = postgresProjection(pool);
    const events = (orderId: string, from: bigint): (OrderEventEnvelope & { offset: string })[] =>
      orderHistory(orderId, 'shipped').map((envelope, index) => ({
        ...envelope,
        offset: String(from + BigInt(index)),
      }));
    // Beyond 2^53, where a number would lose the offset's last digits.
    const all = [...events('b-order', 9_007_199_254_740_993n), ...events('a-order', 10n)];
    await store.transaction((tx) =>
      tx.parkEvents(
        1,
        all.map(({ offset, ...envelope }) => ({
          topic: TOPIC,
          partition: 3,
          offset,
          envelope,
          reason: `reason of ${envelope.orderId} v${envelope.version}`,
        })),
      ),
    );
    const stored = await parked.list(1, 100);
    // Resolved at different times, one at a time.
    for (const [index, resolution] of (['applied', 'skipped', 'duplicate'] as const).entries()) {
      const event = stored.find((row) => row.orderId === 'b-order' && row.version === index + 1);
      await store.transaction((tx) =>
        tx.resolveParkedEvents(1, [{ event: event as ParkedEventRow, resolution }]),
      );
    }

    for (const limit of [100, 4, 1]) {
      const listed = await parked.list(1, limit);
      expect(JSON.stringify(listed)).toBe(JSON.stringify(await parkedAsBefore(1, limit)));
    }
    const listed = await parked.list(1, 100);
    expect(listed.map((row) => [row.orderId, row.version, row.resolution])).toEqual([
      ['a-order', 1, null],
      ['a-order', 2, null],
      ['a-order', 3, null],
      ['b-order', 3, 'duplicate'],
      ['b-order', 2, 'skipped'],
      ['b-order', 1, 'applied'],
    ]);
    expect(listed.map((row) => row.offset)).toContain('9007199254740995');
    expect(listed[0].parkedAt).toBeInstanceOf(Date);
    expect(await parked.list(2, 100)).toEqual([]);
  });

  it('reads the running and the latest replay as the raw queries did', async () => {
    const { replays } = postgresProjection(pool);
    expect(await replays.running()).toBeUndefined();
    expect(await replays.latest()).toBeUndefined();

    const first = await replays.insert('6f1d2c3b-4a5e-4f60-8b7c-9d0e1f2a3b4c', [
      { topic: TOPIC, partition: 0, offset: '12' },
      { topic: TOPIC, partition: 1, offset: '30' },
    ]);
    await replays.markFailed(first, 'the consumer could not join');
    const second = await replays.insert('0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d', [
      { topic: TOPIC, partition: 0, offset: '13' },
    ]);

    const running = await replays.running();
    expect(running).toEqual(second);
    expect(JSON.stringify(running)).toBe(
      JSON.stringify(await replayAsBefore(`WHERE status = 'running'`)),
    );
    expect(JSON.stringify(await replays.latest())).toBe(
      JSON.stringify(await replayAsBefore('ORDER BY generation DESC LIMIT 1')),
    );
    expect((await replays.latest())?.replayId).toBe(second.replayId);

    await replays.cancelRunning();
    expect(await replays.running()).toBeUndefined();
    const latest = await replays.latest();
    expect(latest).toMatchObject({
      replayId: second.replayId,
      status: 'cancelled',
      totalEvents: 13,
    });
    expect(latest?.finishedAt).toBeInstanceOf(Date);
    expect(JSON.stringify(latest)).toBe(
      JSON.stringify(await replayAsBefore('ORDER BY generation DESC LIMIT 1')),
    );
  });
});
