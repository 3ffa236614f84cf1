import { Pool } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import { migrateReadDatabase, projectOrderEvent } from '@app/order-view';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import type { CheckpointStore } from '../src/view/checkpoint.store';
import { OrderViewWriter, type PartitionBatch } from '../src/view/order-view-writer';
import type { OrderViewStore } from '../src/view/order-view.store';
import { storedAfter } from '../src/view/project-batch';
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
  /** In partition and offset order. */
  parked: {
    topic: string;
    partition: number;
    offset: string;
    orderId: string;
    version: number;
    eventType: string;
    envelope: unknown;
    reason: string;
    resolution: string | null;
    resolved: boolean;
  }[];
  checkpoints: Record<number, { nextOffset: string; lastEventAt: string | null }>;
}

/** Operators' decisions (kept across generations): [order, version, event id, decision]. */
type Decisions = [string, number, string, string][];

const byKey = (a: Decisions[number], b: Decisions[number]) =>
  JSON.stringify(a.slice(0, 3)) < JSON.stringify(b.slice(0, 3)) ? -1 : 1;

/**
 * The in-memory adapter the unit tests run on, checked against PostgreSQL: the same batches
 * (redeliveries included, one ending below the stored checkpoint) and resolutions through the
 * same writer leave the same rows, history, parked events (every column but the times),
 * checkpoints (next offset and last event's time) in every generation, and the same operators'
 * decisions; and both refuse what PostgreSQL refuses. What the unit tests prove on it therefore
 * holds on the real store.
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

  // Each order's events at times of their own, later along each partition, so that a batch read
  // again carries an older last event than the one stored with the checkpoint.
  const at = (hours: number) => ({ startAt: new Date(Date.UTC(2026, 0, 1, hours)) });
  const [oddPlaced, oddPaid] = orderHistory('odd', 'paid', at(0));
  const unknown = { ...oddPaid, type: 'OrderGiftWrapped' } as unknown as OrderEventEnvelope;
  const oddPaidLater = { ...oddPaid, version: 3, eventId: 'odd-paid-later' };
  const [gappyPlaced, gappyPaid, gappyShipped] = orderHistory('gappy', 'shipped', at(1));
  const [forgedPlaced, forgedPaid] = orderHistory('forged', 'paid', at(0));
  const forgery = {
    ...forgedPaid,
    eventId: 'forgery',
    type: 'OrderCancelled',
    data: { reason: 'x' },
  };
  const fine = orderHistory('fine', 'shipped', at(2));
  const fineShipped = fine[2];
  // Its gap is never filled: parked until the end.
  const [stuckPlaced, , stuckShipped] = orderHistory('stuck', 'shipped', at(1));
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
    // Read again, ending below the stored checkpoint (a consumer that lost the partition in a
    // rebalance finishing an old batch): the checkpoint and its last event's time stay put.
    await writer.applyBatch('current', batches(partition0.slice(0, 3), 3, 0)[0]);
    await writer.resolveParked('odd', 'skip');
    await writer.resolveParked('gappy', 'retry');
    await writer.resolveParked('forged', 'retry');
    const generation = await startReplay();
    for (const batch of [...batches(partition0, 1, 0), ...batches(partition1, 10, 1)]) {
      await writer.applyBatch(generation, batch);
    }
    await writer.applyBatch(generation, batches(partition1, 2, 1)[0]);
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
    const parked = await pool.query<Stored['parked'][number]>(
      `SELECT topic, partition, "offset"::text AS "offset", order_id AS "orderId", version,
              event_type AS "eventType", envelope, reason, resolution,
              resolved_at IS NOT NULL AS resolved
         FROM parked_events WHERE generation = $1 ORDER BY partition, "offset"`,
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
      parked: parked.rows,
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
        .map((event) => ({
          topic: event.topic,
          partition: event.partition,
          offset: event.offset,
          orderId: event.orderId,
          version: event.version,
          eventType: event.eventType,
          envelope: JSON.parse(JSON.stringify(event.envelope)) as unknown,
          reason: event.reason,
          resolution: event.resolution,
          resolved: event.resolvedAt !== null,
        })),
      checkpoints,
    }));
  }

  async function checkpointsOf(checkpoints: CheckpointStore, generation: number) {
    const read = await checkpoints.read(generation, TOPIC);
    return Object.fromEntries(
      [...read].map(([partition, { nextOffset, lastEventAt }]) => [
        partition,
        { nextOffset, lastEventAt: lastEventAt?.toISOString() ?? null },
      ]),
    );
  }

  async function decisionsInPostgres(): Promise<Decisions> {
    const { rows } = await pool.query<{
      order_id: string;
      version: number;
      event_id: string;
      decision: string;
    }>('SELECT order_id, version, event_id, decision FROM parked_event_decisions');
    return rows
      .map((row): Decisions[number] => [row.order_id, row.version, row.event_id, row.decision])
      .sort(byKey);
  }

  function decisionsInMemory(store: InMemoryOrderViewStore): Decisions {
    return [...store.decisions()]
      .map(([key, decision]): Decisions[number] => {
        const [orderId, version, eventId] = JSON.parse(key) as [string, number, string];
        return [orderId, version, eventId, decision];
      })
      .sort(byKey);
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
    expect(decisionsInMemory(memory)).toEqual(await decisionsInPostgres());
    // The story touched every part of the store.
    const current = await storedInPostgres(1, postgres.checkpoints);
    expect(Object.keys(current.rows).sort()).toEqual(['fine', 'forged', 'gappy', 'odd', 'stuck']);
    expect(current.parked.map(({ resolution }) => resolution)).toContain(null);
    expect(current.parked.map(({ resolution }) => resolution)).toContain('skipped');
    // Both generations' checkpoints stood where each partition's last batch left them, whatever
    // was read again after.
    for (const generation of [1, replayed]) {
      expect((await storedInPostgres(generation, postgres.checkpoints)).checkpoints).toEqual({
        0: { nextOffset: String(partition0.length), lastEventAt: fineShipped.occurredAt },
        1: { nextOffset: String(partition1.length), lastEventAt: stuckShipped.occurredAt },
      });
    }
    expect(
      (await decisionsInPostgres()).map(([orderId, , , decision]) => [orderId, decision]),
    ).toEqual(
      expect.arrayContaining([
        ['odd', 'skip'],
        ['gappy', 'retry'],
        ['forged', 'retry'],
      ]),
    );
  });

  it('given one order twice in one upsert, both refuse it and store nothing', async () => {
    const generation = 9;
    await pool.query('SELECT order_view_add_generation($1)', [generation]);
    const [placed] = orderHistory('twice', 'placed', at(3));
    const projected = projectOrderEvent(undefined, placed);
    if (projected.kind !== 'applied') throw new Error(`OrderPlaced not applied: ${projected.kind}`);
    const row = storedAfter(undefined, placed, projected.view, { applied: true });
    const upsertTwice = (store: OrderViewStore) =>
      store.transaction((tx) =>
        tx.saveOrders(generation, { orders: [row, row], history: [placed] }),
      );
    const memory = new InMemoryOrderViewStore();

    await expect(upsertTwice(postgresProjection(pool).store)).rejects.toThrow(
      'ON CONFLICT DO UPDATE command cannot affect row a second time',
    );
    await expect(upsertTwice(memory)).rejects.toThrow(
      'ON CONFLICT DO UPDATE command cannot affect row a second time',
    );
    const stored = await pool.query(
      'SELECT 1 FROM order_view WHERE generation = $1 UNION ALL SELECT 1 FROM order_history WHERE generation = $1',
      [generation],
    );
    expect(stored.rowCount).toBe(0);
    expect(memory.rows(generation).size).toBe(0);
    expect(memory.history('twice', generation)).toEqual([]);
  });
});
