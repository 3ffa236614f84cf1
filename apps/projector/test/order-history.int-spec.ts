import { Pool, type PoolClient, type PoolConfig } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import { migrateReadDatabase, orderHistoryEntry } from '@app/order-view';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import type { OrderViewRepository } from '../src/persistence/order-view.repository';
import type { ReplayRepository } from '../src/persistence/replay.repository';
import type { OrderViewWriter, PartitionBatch } from '../src/view/order-view-writer';
import { postgresProjection } from './postgres-projection';

const TOPIC = 'order-events';

/** `events` as one partition's batch starting at `from`. */
function batchOf(events: OrderEventEnvelope[], from = 0): PartitionBatch {
  return {
    topic: TOPIC,
    partition: 0,
    events: events.map((envelope, index) => ({
      topic: TOPIC,
      partition: 0,
      offset: String(from + index),
      envelope,
    })),
    nextOffset: String(from + events.length),
  };
}

/**
 * A pool whose clients record every statement they run: the history must travel in the batch's
 * one statement with the rows and the checkpoint, not in a round trip of its own.
 */
class RecordingPool extends Pool {
  readonly statements: string[] = [];

  constructor(config: PoolConfig) {
    super(config);
    this.on('connect', (client: PoolClient) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (
        ...args: unknown[]
      ) => {
        if (typeof args[0] === 'string') this.statements.push(args[0]);
        return query(...args);
      };
    });
  }
}

describe("an order's history, written by the projector's batches (real PostgreSQL)", () => {
  let database: TestDatabase;
  let pool: RecordingPool;
  let writer: OrderViewWriter;
  let view: OrderViewRepository;
  let replays: ReplayRepository;

  beforeAll(async () => {
    database = await createTestDatabase('history');
    pool = new RecordingPool({ connectionString: database.url, max: 4 });
    await migrateReadDatabase(database.url);
    ({ writer, view, replays } = postgresProjection(pool));
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  /** The history rows of an order in a generation, in version order. */
  async function historyOf(orderId: string, generation = 1) {
    const { rows } = await pool.query<{ version: number; entry: unknown }>(
      `SELECT version, entry FROM order_history WHERE generation = $1 AND order_id = $2
        ORDER BY version`,
      [generation, orderId],
    );
    return rows;
  }

  const entriesOf = (events: OrderEventEnvelope[]) =>
    events.map((event) => ({
      version: event.version,
      entry: JSON.parse(JSON.stringify(orderHistoryEntry(event))) as unknown,
    }));

  it('given a batch, then each applied event is a history row, written in the statement of the rows and the checkpoint', async () => {
    const [placed, paid, shipped] = orderHistory('h-batch', 'shipped');
    pool.statements.length = 0;

    await writer.applyBatch('current', batchOf([placed, paid, shipped]));
    const writes = pool.statements.filter((sql) => sql.includes('INSERT INTO order_history'));

    expect(await historyOf('h-batch')).toEqual(entriesOf([placed, paid, shipped]));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/INSERT INTO order_view[\s\S]*projection_checkpoints/);
  });

  it('given a batch delivered again, then no row is added or changed (effectively once)', async () => {
    const [placed, paid] = orderHistory('h-again', 'paid');
    await writer.applyBatch('current', batchOf([placed], 10));
    await writer.applyBatch('current', batchOf([placed, paid], 10));
    await writer.applyBatch('current', batchOf([placed, paid, paid], 10));

    expect(await historyOf('h-again')).toEqual(entriesOf([placed, paid]));
  });

  it('given an event of an older schema version, then its entry holds the data as read (upcast)', async () => {
    const [placed] = orderHistory('h-v1', 'placed');
    await writer.applyBatch('current', batchOf([{ ...placed, schemaVersion: 1 }], 20));

    const [row] = await historyOf('h-v1');
    expect(row.entry).toEqual(JSON.parse(JSON.stringify(orderHistoryEntry(placed))));
  });

  it('given an order parked on a gap, then its events enter the history only once a retry applies them', async () => {
    const [placed, paid, shipped] = orderHistory('h-gap', 'shipped');
    await writer.applyBatch('current', batchOf([placed, shipped], 30));
    expect(await historyOf('h-gap')).toEqual(entriesOf([placed]));

    await writer.applyBatch('current', batchOf([paid], 40));
    expect(await historyOf('h-gap')).toEqual(entriesOf([placed]));

    await writer.resolveParked('h-gap', 'retry');
    expect(await historyOf('h-gap')).toEqual(entriesOf([placed, paid, shipped]));
  });

  it('given an event an operator skipped, then the history holds the events applied around it, not the skipped one', async () => {
    const [placed, paid] = orderHistory('h-skip', 'paid');
    const unknown = { ...paid, type: 'OrderGiftWrapped' } as unknown as OrderEventEnvelope;
    const paidLater = { ...paid, version: 3, eventId: 'h-skip-paid-later' };
    await writer.applyBatch('current', batchOf([placed, unknown, paidLater], 50));

    await writer.resolveParked('h-skip', 'skip');

    expect(await historyOf('h-skip')).toEqual(entriesOf([placed, paidLater]));
  });

  it('given a replay, then its generation gets its own history, the same; once current, the retired one is deleted with the view', async () => {
    const [placed, paid] = orderHistory('h-replay', 'paid');
    await writer.applyBatch('current', batchOf([placed, paid], 60));
    const replay = await replays.insert('3a0e8c2d-6b1f-4f7a-9c4e-2d5b8a1f0e3c', [
      { topic: TOPIC, partition: 0, offset: '62' },
    ]);

    await writer.applyBatch(replay.generation, batchOf([placed, paid], 60));
    await writer.applyBatch(replay.generation, batchOf([placed, paid], 60));

    expect(await historyOf('h-replay', replay.generation)).toEqual(entriesOf([placed, paid]));
    await pool.query(`UPDATE order_view_replays SET status = 'completed'`);
    await pool.query('UPDATE order_view_state SET current_generation = $1', [replay.generation]);
    await view.deleteRetiredGenerations();
    const { rows } = await pool.query<{ generation: number }>(
      'SELECT DISTINCT generation FROM order_history',
    );
    expect(rows).toEqual([{ generation: replay.generation }]);
    const current = await pool.query(
      `SELECT version, entry FROM current_order_history WHERE order_id = 'h-replay' ORDER BY 1`,
    );
    expect(current.rows).toEqual(entriesOf([placed, paid]));
  });
});
