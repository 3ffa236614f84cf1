import { Pool } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import { migrateReadDatabase } from '@app/order-view';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import type { CheckpointStore } from '../src/view/checkpoint.store';
import { OrderViewWriter, type PartitionBatch } from '../src/view/order-view-writer';
import { InMemoryOrderViewStore } from './in-memory-order-view-store';
import { postgresProjection } from './postgres-projection';

const TOPIC = 'order-events';

/** `events` as batches of `size` of one partition, offsets from `from`. */
function batches(
  events: OrderEventEnvelope[],
  size: number,
  partition: number,
  from = 0,
): PartitionBatch[] {
  const result: PartitionBatch[] = [];
  for (let start = 0; start < events.length; start += size) {
    const slice = events.slice(start, start + size);
    result.push({
      topic: TOPIC,
      partition,
      events: slice.map((envelope, index) => ({
        topic: TOPIC,
        partition,
        offset: String(from + start + index),
        envelope,
      })),
      nextOffset: String(from + start + slice.length),
    });
  }
  return result;
}

/** What the writer stored in a generation, in a form both adapters can be compared by. */
interface Stored {
  rows: Record<string, { appliedEvents: number; eventIds: (string | null)[]; document: unknown }>;
  history: Record<string, string[]>;
  parked: [string, number, string, string | null, string][];
  checkpoints: Record<number, string>;
}

/**
 * The in-memory adapter the unit tests run on, checked against PostgreSQL: the same batches and
 * resolutions through the same writer leave the same rows, history, parked events and
 * checkpoints in every generation. What the unit tests prove on it therefore holds on the real
 * store.
 */
describe('InMemoryOrderViewStore agrees with PostgresOrderViewStore (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('view_store');
    pool = new Pool({ connectionString: database.url, max: 4 });
    await migrateReadDatabase(database.url);
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const [oddPlaced, oddPaid] = orderHistory('odd', 'paid');
  const unknown = { ...oddPaid, type: 'OrderGiftWrapped' } as unknown as OrderEventEnvelope;
  const oddPaidLater = { ...oddPaid, version: 3, eventId: 'odd-paid-later' };
  const [gappyPlaced, gappyPaid, gappyShipped] = orderHistory('gappy', 'shipped');
  const [forgedPlaced, forgedPaid] = orderHistory('forged', 'paid');
  const forgery = {
    ...forgedPaid,
    eventId: 'forgery',
    type: 'OrderCancelled',
    data: { reason: 'x' },
  };
  const fine = orderHistory('fine', 'shipped');
  // Its gap is never filled: parked until the end.
  const [stuckPlaced, , stuckShipped] = orderHistory('stuck', 'shipped');
  const partition0 = [
    oddPlaced,
    unknown,
    oddPaidLater,
    gappyPlaced,
    gappyShipped,
    ...fine,
    gappyPaid,
  ];
  const partition1 = [
    forgedPlaced,
    forgery as OrderEventEnvelope,
    forgedPaid,
    stuckPlaced,
    stuckShipped,
  ];

  /** The same story on either adapter: live batches, resolutions, a replay with carried decisions. */
  async function story(
    writer: OrderViewWriter,
    startReplay: () => Promise<number>,
  ): Promise<number> {
    for (const batch of [...batches(partition0, 3, 0), ...batches(partition1, 2, 1)]) {
      await writer.applyBatch('current', batch);
    }
    // Read again, as after a crash before Kafka's commit.
    for (const batch of batches(partition0, 4, 0)) await writer.applyBatch('current', batch);
    await writer.resolveParked('odd', 'skip');
    await writer.resolveParked('gappy', 'retry');
    await writer.resolveParked('forged', 'retry');
    const generation = await startReplay();
    for (const batch of [...batches(partition0, 1, 0), ...batches(partition1, 10, 1)]) {
      await writer.applyBatch(generation, batch);
    }
    await writer.resolveParked('stuck', 'retry');
    return generation;
  }

  async function storedInPostgres(generation: number, checkpoints: CheckpointStore) {
    const rows = await pool.query<{
      order_id: string;
      applied_events: number;
      event_ids: (string | null)[];
      document: unknown;
    }>(
      `SELECT order_id, applied_events, event_ids, document FROM order_view
        WHERE generation = $1 ORDER BY order_id`,
      [generation],
    );
    const history = await pool.query<{ order_id: string; event_id: string }>(
      `SELECT order_id, entry ->> 'eventId' AS event_id FROM order_history
        WHERE generation = $1 ORDER BY order_id, version`,
      [generation],
    );
    const parked = await pool.query<{
      order_id: string;
      version: number;
      offset: string;
      resolution: string | null;
      reason: string;
    }>(
      `SELECT order_id, version, "offset"::text AS "offset", resolution, reason FROM parked_events
        WHERE generation = $1 ORDER BY partition, "offset"`,
      [generation],
    );
    const stored: Stored = {
      rows: Object.fromEntries(
        rows.rows.map((row) => [
          row.order_id,
          { appliedEvents: row.applied_events, eventIds: row.event_ids, document: row.document },
        ]),
      ),
      history: {},
      parked: parked.rows.map((row) => [
        row.order_id,
        row.version,
        row.offset,
        row.resolution,
        row.reason,
      ]),
      checkpoints: await checkpointsOf(checkpoints, generation),
    };
    for (const row of history.rows) (stored.history[row.order_id] ??= []).push(row.event_id);
    return stored;
  }

  function storedInMemory(store: InMemoryOrderViewStore, generation: number): Promise<Stored> {
    const rows = [...store.rows(generation)].sort(([a], [b]) => (a < b ? -1 : 1));
    return checkpointsOf(store.checkpoints, generation).then((checkpoints) => ({
      rows: Object.fromEntries(
        rows.map(([orderId, row]) => [
          orderId,
          {
            appliedEvents: row.appliedEvents,
            eventIds: row.eventIds,
            document: JSON.parse(JSON.stringify(row.view)) as unknown,
          },
        ]),
      ),
      history: Object.fromEntries(
        rows
          .map(([orderId]) => [orderId, store.history(orderId, generation)] as const)
          .filter(([, ids]) => ids.length > 0),
      ),
      parked: store
        .parkedEvents(generation)
        .sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset))
        .map((event) => [
          event.orderId,
          event.version,
          event.offset,
          event.resolution,
          event.reason,
        ]),
      checkpoints,
    }));
  }

  async function checkpointsOf(checkpoints: CheckpointStore, generation: number) {
    const read = await checkpoints.read(generation, TOPIC);
    return Object.fromEntries(
      [...read].map(([partition, { nextOffset }]) => [partition, nextOffset]),
    );
  }

  it('given the same batches and resolutions, both store the same in every generation', async () => {
    const postgres = postgresProjection(pool);
    const memory = new InMemoryOrderViewStore();
    const memoryWriter = new OrderViewWriter(memory);

    const replayed = await story(postgres.writer, async () => {
      const replay = await postgres.replays.insert('5d2c9a7e-1b3f-4e6a-8c0d-7f9e2a4b6c1d', [
        { topic: TOPIC, partition: 0, offset: String(partition0.length) },
        { topic: TOPIC, partition: 1, offset: String(partition1.length) },
      ]);
      return replay.generation;
    });
    const replayedInMemory = await story(memoryWriter, () => {
      memory.setGenerationBeingBuilt(2);
      return Promise.resolve(2);
    });

    expect(replayedInMemory).toBe(replayed);
    for (const generation of [1, replayed]) {
      const inPostgres = await storedInPostgres(generation, postgres.checkpoints);
      expect([generation, await storedInMemory(memory, generation)]).toEqual([
        generation,
        inPostgres,
      ]);
    }
    // The story touched every part of the store.
    const current = await storedInPostgres(1, postgres.checkpoints);
    expect(Object.keys(current.rows).sort()).toEqual(['fine', 'forged', 'gappy', 'odd', 'stuck']);
    expect(current.parked.map(([, , , resolution]) => resolution)).toContain(null);
    expect(current.parked.map(([, , , resolution]) => resolution)).toContain('skipped');
  });
});
