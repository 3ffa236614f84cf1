import { Pool } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import {
  foldOrderView,
  migrateReadDatabase,
  projectOrderEvent,
  skipOrderEvent,
} from '@app/order-view';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import type { ReplayRepository } from '../src/persistence/replay.repository';
import type { OrderViewWriter, PartitionBatch } from '../src/view/order-view-writer';
import { postgresProjection } from './postgres-projection';

const TOPIC = 'order-events';

/** `events` as one partition's batches of `size`, from offset 0. */
function batches(events: OrderEventEnvelope[], size: number): PartitionBatch[] {
  const positioned = events.map((envelope, offset) => ({
    topic: TOPIC,
    partition: 0,
    offset: String(offset),
    envelope,
  }));
  const result: PartitionBatch[] = [];
  for (let start = 0; start < positioned.length; start += size) {
    const events = positioned.slice(start, start + size);
    result.push({ topic: TOPIC, partition: 0, events, nextOffset: String(start + events.length) });
  }
  return result;
}

describe('operator decisions across generations (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let writer: OrderViewWriter;
  let replays: ReplayRepository;

  // odd: an event of a type this projector does not know, skipped by an operator.
  const [oddPlaced, oddPaid] = orderHistory('odd', 'paid');
  const unknown = { ...oddPaid, type: 'OrderGiftWrapped' } as unknown as OrderEventEnvelope;
  const oddPaidLater = { ...oddPaid, version: 3, eventId: 'odd-paid-later' };
  // gappy: its OrderPaid published late, after its OrderShipped; retried once it arrived.
  const [gappyPlaced, gappyPaid, gappyShipped] = orderHistory('gappy', 'shipped');
  const topic = [oddPlaced, unknown, oddPaidLater, gappyPlaced, gappyShipped, gappyPaid];

  beforeAll(async () => {
    database = await createTestDatabase('decisions');
    pool = new Pool({ connectionString: database.url, max: 4 });
    await migrateReadDatabase(database.url);
    ({ writer, replays } = postgresProjection(pool));
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  async function view(generation: number) {
    const { rows } = await pool.query<{ order_id: string; document: unknown }>(
      'SELECT order_id, document FROM order_view WHERE generation = $1 ORDER BY order_id',
      [generation],
    );
    return Object.fromEntries(rows.map((row) => [row.order_id, row.document]));
  }

  async function openParked(generation: number) {
    const { rows } = await pool.query<{ order_id: string; version: number }>(
      `SELECT order_id, version FROM parked_events
        WHERE generation = $1 AND resolution IS NULL ORDER BY order_id, version`,
      [generation],
    );
    return rows;
  }

  const resolvedView = () => {
    // Placed, the unknown event skipped (its version counts as seen), then paid.
    const odd = projectOrderEvent(
      skipOrderEvent(foldOrderView([oddPlaced])!, unknown),
      oddPaidLater,
    );
    return {
      gappy: foldOrderView([gappyPlaced, gappyPaid, gappyShipped]),
      odd: odd.kind === 'applied' ? odd.view : odd,
    };
  };

  it('given a skip and a retry in generation 1, a rebuilt generation resolves those orders the same way, whatever the batches', async () => {
    for (const batch of batches(topic, 100)) await writer.applyBatch('current', batch);
    expect(await openParked(1)).toHaveLength(4);
    await writer.resolveParked('odd', 'skip');
    await writer.resolveParked('gappy', 'retry');
    expect(await view(1)).toEqual(resolvedView());

    for (const [generation, size] of [
      [2, 100],
      [3, 1],
    ]) {
      // As a replay's start creates them.
      await pool.query('SELECT order_view_add_generation($1)', [generation]);
      for (const batch of batches(topic, size)) await writer.applyBatch(generation, batch);
      expect([generation, await view(generation)]).toEqual([generation, resolvedView()]);
      expect([generation, await openParked(generation)]).toEqual([generation, []]);
    }
    const { rows } = await pool.query(
      `SELECT version, resolution FROM parked_events
        WHERE generation = 2 AND order_id = 'odd' ORDER BY version`,
    );
    expect(rows).toEqual([
      { version: 2, resolution: 'skipped' },
      { version: 3, resolution: 'applied' },
    ]);
  });

  it('a resolution taken while a replay runs reaches the generation being built', async () => {
    const [placed, paid] = orderHistory('late', 'paid');
    const bad = { ...paid, data: {} } as OrderEventEnvelope;
    const paidAgain = { ...paid, version: 3, eventId: 'late-paid-again' };
    const events = [...topic, placed, bad, paidAgain];
    for (const table of [
      'order_view',
      'order_history',
      'parked_events',
      'projection_checkpoints',
    ]) {
      await pool.query(`DELETE FROM ${table} WHERE generation > 1`);
    }
    await writer.applyBatch('current', batches(events, 100)[0]);
    const replay = await replays.insert('0b6f7c1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e', [
      { topic: TOPIC, partition: 0, offset: String(events.length) },
    ]);
    await writer.applyBatch(replay.generation, batches(events, 100)[0]);
    expect(await openParked(replay.generation)).toEqual([
      { order_id: 'late', version: 2 },
      { order_id: 'late', version: 3 },
    ]);

    const resolution = await writer.resolveParked('late', 'skip');
    expect(resolution).toMatchObject({ version: 3, skipped: 1, applied: 1, stillParked: 0 });
    expect(await openParked(replay.generation)).toEqual([]);
    const { late } = await view(replay.generation);
    expect(late).toMatchObject({ status: 'PAID', version: 3 });
  });
});
