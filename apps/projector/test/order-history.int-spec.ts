import type { OrderEventEnvelope } from '@app/order-events';
import { migrateReadDatabase, orderHistoryEntry } from '@app/order-view';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import type { OrderViewRepository } from '../src/persistence/order-view.repository';
import type { ReplayRepository } from '../src/persistence/replay.repository';
import type { OrderViewWriter } from '../src/view/order-view-writer';
import { TOPIC, batchOf, interleaved } from './partition-batches';
import { postgresProjection } from './postgres-projection';
import { RecordingPool } from './recording-pool';

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

  async function historyCount(prefix: string, generation = 1): Promise<number> {
    const { rows } = await pool.query<{ count: string }>(
      `SELECT count(*) FROM order_history WHERE generation = $1 AND order_id LIKE $2 || '-%'`,
      [generation, prefix],
    );
    return Number(rows[0].count);
  }

  it('given a large batch, then its history goes in by COPY, every applied event a row, with the rows and the checkpoint', async () => {
    const events = interleaved('h-large', 100, 'shipped');
    pool.statements.length = 0;

    await writer.applyBatch('current', batchOf(events, 1_000));

    expect(pool.statements.filter((sql) => /^COPY order_history/.test(sql))).toHaveLength(1);
    expect(pool.statements.filter((sql) => sql.includes('INSERT INTO order_history'))).toEqual([]);
    expect(await historyCount('h-large')).toBe(events.length);
    expect(await historyOf('h-large-7')).toEqual(
      entriesOf(events.filter((event) => event.orderId === 'h-large-7')),
    );
    const { rows } = await pool.query(
      `SELECT next_offset FROM projection_checkpoints WHERE generation = 1 AND partition = 0`,
    );
    expect(rows).toEqual([{ next_offset: String(1_000 + events.length) }]);
  });

  it('given a large batch with an event whose history row is there already, then the batch is stored and that row left as it was', async () => {
    const events = interleaved('h-there', 100, 'paid');
    const [first] = events;
    // A row a COPY would collide with: the same key, another entry.
    await pool.query(
      `INSERT INTO order_history (generation, order_id, version, entry) VALUES (1, $1, $2, $3)`,
      [first.orderId, first.version, JSON.stringify({ marker: 'there before' })],
    );

    await writer.applyBatch('current', batchOf(events, 2_000));

    expect(await historyCount('h-there')).toBe(events.length);
    expect((await historyOf(first.orderId))[0].entry).toEqual({ marker: 'there before' });
    expect(await historyOf('h-there-9')).toEqual(
      entriesOf(events.filter((event) => event.orderId === 'h-there-9')),
    );
    // The connection the failed COPY ran on (the pool hands out the last one released) takes
    // the next large batch by COPY again.
    const next = interleaved('h-after', 100, 'paid');
    await writer.applyBatch('current', batchOf(next, 3_000));
    expect(await historyCount('h-after')).toBe(next.length);
  });

  it("given a large batch whose events hold COPY's own characters (tab, newline, backslash, \\N, quotes), then each entry reads back as it was", async () => {
    const hostile = 'tab\there\nnew line\r\\N back\\slash \\. "quoted" \u00e9 \u{1F600} \\\\';
    const events = interleaved('h-hostile', 120, 'placed').map((event) => ({
      ...event,
      metadata: { ...event.metadata, correlationId: `${hostile} ${event.orderId}` },
    }));

    pool.statements.length = 0;
    await writer.applyBatch('current', batchOf(events, 3_000));

    expect(pool.statements.filter((sql) => /^COPY order_history/.test(sql))).toHaveLength(1);
    expect(await historyCount('h-hostile')).toBe(events.length);
    for (const event of [events[0], events[119]]) {
      expect(await historyOf(event.orderId)).toEqual(entriesOf([event]));
    }
    expect(
      ((await historyOf('h-hostile-3'))[0].entry as { correlationId: string }).correlationId,
    ).toBe(`${hostile} h-hostile-3`);
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
