import { Client } from 'pg';
import { withTransaction } from '@app/database';
import { VIEW_CHANGED_CHANNEL, migrateReadDatabase, projectOrderEvent } from '@app/order-view';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { waitFor } from '../../../tools/local-infra/wait-for';
import { COPY_FROM_ROWS, type OrderViewRepository } from '../src/persistence/order-view.repository';
import type { ReplayRepository } from '../src/persistence/replay.repository';
import type { OrderViewWriter } from '../src/view/order-view-writer';
import type { ViewChanges } from '../src/view/order-view.store';
import { storedAfter, type StoredOrder } from '../src/view/project-batch';
import { TOPIC, batchOf, interleaved } from './partition-batches';
import { postgresProjection } from './postgres-projection';
import { RecordingPool } from './recording-pool';

describe("a large batch's new rows, inserted by COPY (real PostgreSQL)", () => {
  let database: TestDatabase;
  let pool: RecordingPool;
  let writer: OrderViewWriter;
  let view: OrderViewRepository;
  let replays: ReplayRepository;

  beforeAll(async () => {
    database = await createTestDatabase('rows_copy');
    pool = new RecordingPool({ connectionString: database.url, max: 4 });
    await migrateReadDatabase(database.url);
    ({ writer, view, replays } = postgresProjection(pool));
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  /** Every column of a generation's rows of `prefix`, the document as its stored text. */
  async function rowsOf(generation: number, prefix: string) {
    const { rows } = await pool.query<Record<string, unknown>>(
      `SELECT order_id, customer_id, status, placed_at, version, applied_events, event_ids,
              document::text AS document
         FROM order_view WHERE generation = $1 AND order_id LIKE $2 || '-%' ORDER BY order_id`,
      [generation, prefix],
    );
    return rows;
  }

  const copies = () => pool.statements.filter((sql) => /^COPY order_view/.test(sql));

  it('given a large batch of orders held before and new ones, then the new rows go in by COPY and every row reads back as the statement writes it', async () => {
    const events = interleaved('r-mixed', 120, 'shipped');
    // The first 60 events place 60 orders: the large batch after them updates those rows and
    // places the other 60.
    await writer.applyBatch('current', batchOf(events.slice(0, 60), 0));
    pool.statements.length = 0;

    await writer.applyBatch('current', batchOf(events.slice(60), 60));

    expect(copies()).toHaveLength(1);
    expect(pool.statements).not.toContain('ROLLBACK TO SAVEPOINT batch_copy');
    const replay = await replays.insert('6f1d2c3b-4a5e-4f6a-8b7c-9d0e1f2a3b4c', [
      { topic: TOPIC, partition: 0, offset: String(events.length) },
    ]);
    pool.statements.length = 0;
    // The same events in batches too small for COPY: every row by the statement.
    for (let from = 0; from < events.length; from += COPY_FROM_ROWS - 1) {
      const slice = events.slice(from, from + COPY_FROM_ROWS - 1);
      await writer.applyBatch(replay.generation, batchOf(slice, from));
    }
    expect(copies()).toEqual([]);
    const copied = await rowsOf(1, 'r-mixed');
    expect(copied).toHaveLength(120);
    expect(copied).toEqual(await rowsOf(replay.generation, 'r-mixed'));
    expect(copied[0]).toMatchObject({ status: 'SHIPPED', version: 3, applied_events: 3 });
    await replays.cancelRunning();
    await view.deleteRetiredGenerations();
  });

  /** `count` new orders, each placed, as a batch's changes and the rows they become. */
  function placedOrders(
    prefix: string,
    count: number,
    changeRow: (row: StoredOrder) => StoredOrder,
  ) {
    const history = Array.from({ length: count }, (_, index) => {
      const [placed] = orderHistory(`${prefix}-${index}`, 'placed');
      return placed;
    });
    const orders = history.map((event) => {
      const projected = projectOrderEvent(undefined, event);
      if (projected.kind !== 'applied') throw new Error(`${event.eventId} did not apply`);
      return changeRow(storedAfter(undefined, event, projected.view, { applied: true }));
    });
    return { orders, history };
  }

  /** A batch's changes saved through the repository alone, in a transaction of its own. */
  const saveBatch = (changes: ViewChanges, nextOffset: string) =>
    withTransaction(pool, (tx) =>
      view.saveBatch(
        1,
        changes,
        { topic: TOPIC, partition: 1, nextOffset, lastEventAt: null },
        { notify: false },
        tx,
      ),
    );

  it("given values holding COPY's and the array's own characters, then each row reads back as it was", async () => {
    const hostile = 'tab\there\nnew line\r\\N back\\slash "quoted" {braced}, NULL \u00e9';
    const { orders, history } = placedOrders('r-hostile', COPY_FROM_ROWS, (row) => ({
      ...row,
      view: { ...row.view, customerId: `${hostile} ${row.view.orderId}`, version: 6 },
      // Unlike the version, as after an operator's skips: a column mixed up would show.
      appliedEvents: 4,
      eventIds: [hostile, null, 'NULL', '', ...row.eventIds],
    }));
    pool.statements.length = 0;

    await saveBatch({ orders, history, heldBefore: new Set() }, '100');

    expect(copies()).toHaveLength(1);
    const expected = orders
      .map(({ view: order, appliedEvents, eventIds }) => ({
        order_id: order.orderId,
        customer_id: order.customerId,
        status: order.status,
        placed_at: new Date(order.placedAt),
        version: 6,
        applied_events: appliedEvents,
        event_ids: eventIds,
        document: JSON.stringify(order),
      }))
      .sort((a, b) => (a.order_id < b.order_id ? -1 : 1));
    expect(await rowsOf(1, 'r-hostile')).toEqual(expected);
    expect(expected[0].event_ids.slice(0, 4)).toEqual([hostile, null, 'NULL', '']);
  });

  it("given a new row already there (another writer's), then the COPY is undone and the statement upserts every row, history and checkpoint once", async () => {
    const { orders, history } = placedOrders('r-raced', COPY_FROM_ROWS, (row) => row);
    const [raced] = orders;
    // What another writer left: the same order's row, older (an order whose events reached two
    // partitions after the topic gained partitions).
    await withTransaction(pool, (tx) =>
      view.saveOrders(
        1,
        { orders: [{ ...raced, view: { ...raced.view, status: 'CANCELLED' } }], history: [] },
        tx,
      ),
    );
    pool.statements.length = 0;

    await saveBatch({ orders, history, heldBefore: new Set() }, '200');

    expect(copies()).toHaveLength(1);
    expect(pool.statements).toContain('ROLLBACK TO SAVEPOINT batch_copy');
    const rows = await rowsOf(1, 'r-raced');
    expect(rows).toHaveLength(COPY_FROM_ROWS);
    expect(rows.find((row) => row.order_id === raced.view.orderId)).toMatchObject({
      status: 'PLACED',
      document: JSON.stringify(raced.view),
    });
    const counts = await pool.query(
      `SELECT (SELECT count(*)::int FROM order_history WHERE generation = 1 AND order_id LIKE 'r-raced-%') AS history,
              (SELECT next_offset FROM projection_checkpoints WHERE generation = 1 AND partition = 1) AS next_offset`,
    );
    expect(counts.rows).toEqual([{ history: COPY_FROM_ROWS, next_offset: '200' }]);
  });

  it('given a new row another transaction is inserting, then the COPY waits for it, is undone once it commits, and the statement upserts every row', async () => {
    const { orders, history } = placedOrders('r-race', COPY_FROM_ROWS, (row) => row);
    const [raced] = orders;
    const other = await pool.connect();
    try {
      await other.query('BEGIN');
      await view.saveOrders(
        1,
        { orders: [{ ...raced, view: { ...raced.view, status: 'CANCELLED' } }], history: [] },
        other,
      );
      pool.statements.length = 0;
      const saving = saveBatch({ orders, history, heldBefore: new Set() }, '400');
      await waitFor(
        async () => {
          const { rows } = await pool.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
                AND wait_event_type = 'Lock' AND query LIKE 'COPY order_view%'`,
          );
          return rows.length > 0;
        },
        { timeoutMs: 10_000, intervalMs: 50, description: "the COPY to wait on the other's row" },
      );
      await other.query('COMMIT');
      await saving;
    } finally {
      other.release();
    }

    expect(pool.statements).toContain('ROLLBACK TO SAVEPOINT batch_copy');
    const rows = await rowsOf(1, 'r-race');
    expect(rows).toHaveLength(COPY_FROM_ROWS);
    expect(rows.find((row) => row.order_id === raced.view.orderId)).toMatchObject({
      status: 'PLACED',
      document: JSON.stringify(raced.view),
    });
    const historyRows = await pool.query(
      `SELECT count(*)::int AS n FROM order_history WHERE generation = 1 AND order_id LIKE 'r-race-%'`,
    );
    expect(historyRows.rows).toEqual([{ n: COPY_FROM_ROWS }]);
  });

  it('given a large batch whose rows all go in by COPY, then it still wakes the query-service once it commits', async () => {
    const listener = new Client({ connectionString: database.url });
    await listener.connect();
    try {
      const woken: string[] = [];
      listener.on('notification', ({ channel }) => woken.push(channel));
      await listener.query(`LISTEN ${VIEW_CHANGED_CHANNEL}`);
      pool.statements.length = 0;

      await writer.applyBatch('current', batchOf(interleaved('r-woken', 120, 'placed'), 9_000));

      expect(copies()).toHaveLength(1);
      await waitFor(() => woken.length > 0, {
        timeoutMs: 5_000,
        intervalMs: 20,
        description: 'the view-changed notification',
      });
      expect(woken[0]).toBe(VIEW_CHANGED_CHANNEL);
    } finally {
      await listener.end();
    }
  });

  it('given no rows held before is told, then every row is upserted by the statement and only the history goes in by COPY', async () => {
    const { orders, history } = placedOrders('r-untold', COPY_FROM_ROWS, (row) => row);
    pool.statements.length = 0;

    await saveBatch({ orders, history }, '300');

    expect(copies()).toEqual([]);
    expect(pool.statements.filter((sql) => /^COPY order_history/.test(sql))).toHaveLength(1);
    expect(await rowsOf(1, 'r-untold')).toHaveLength(COPY_FROM_ROWS);
  });
});
