import { Pool } from 'pg';
import { migrateDatabase, migrationConnection } from '@app/database';
import {
  ORDER_BY_ID_SQL,
  ORDER_HISTORY_PAGE_SQL,
  READ_MODEL_MIGRATIONS,
  migrateReadDatabase,
  orderListQuery,
  readDatabaseOptions,
} from '@app/order-view';
import { createTestDatabase, type TestDatabase } from '../../../test/infra/test-infra';
import { COPY_FROM_ROWS, type OrderViewRepository } from '../src/persistence/order-view.repository';
import type { ReplayRepository } from '../src/persistence/replay.repository';
import { isRetriableReplayError } from '../src/replay/replay-run';
import type { OrderViewWriter } from '../src/view/order-view-writer';
import { orderHistory } from '../../../test/fixtures/order-histories';
import { postgresProjection } from './postgres-projection';

const TOPIC = 'order-events';
let replayIds = 0;
const nextReplayId = () => `00000000-0000-4000-8000-${String(++replayIds).padStart(12, '0')}`;

/** The index definitions of `table`, with the table's name taken out so generations compare. */
async function indexesOf(pool: Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ definition: string }>(
    `SELECT regexp_replace(pg_get_indexdef(indexrelid), '_g[0-9]+', '_g*', 'g') AS definition
       FROM pg_index WHERE indrelid = to_regclass($1) ORDER BY 1`,
    [table],
  );
  return rows.map((row) => row.definition);
}

async function partitionsOf(pool: Pool, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY 1`,
    [table],
  );
  return rows.map((row) => row.name);
}

/** `count` view rows (and one history row each) in `generation`, placed a second apart. */
async function fillGeneration(pool: Pool, generation: number, count: number): Promise<void> {
  await pool.query(
    `INSERT INTO order_view (generation, order_id, customer_id, status, placed_at, version,
                             applied_events, document)
     SELECT $1, 'o-' || i, 'c-' || (i % 100), 'PLACED',
            timestamptz '2026-01-01' + i * interval '1 second', 1, 1,
            jsonb_build_object('orderId', 'o-' || i)
       FROM generate_series(1, $2) AS i`,
    [generation, count],
  );
  await pool.query(
    `INSERT INTO order_history (generation, order_id, version, entry)
     SELECT $1, 'o-' || i, 1, jsonb_build_object('version', 1) FROM generate_series(1, $2) AS i`,
    [generation, count],
  );
}

/** Every plan node PostgreSQL ran for `text`, with how many rows it read. */
async function executedNodes(
  pool: Pool,
  text: string,
  values: unknown[],
): Promise<{ type: string; relation?: string; rows: number }[]> {
  const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
    values,
  );
  const nodes: { type: string; relation?: string; rows: number }[] = [];
  const walk = (node: PlanNode) => {
    if (node['Actual Loops'] > 0) {
      nodes.push({
        type: node['Node Type'],
        relation: node['Relation Name'],
        rows: node['Actual Rows'] * node['Actual Loops'],
      });
    }
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(rows[0]['QUERY PLAN'][0].Plan);
  return nodes;
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  Plans?: PlanNode[];
}

describe('the view and history partitioned by generation (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;
  let view: OrderViewRepository;
  let replays: ReplayRepository;
  let writer: OrderViewWriter;

  beforeAll(async () => {
    database = await createTestDatabase('generations');
    pool = new Pool({ connectionString: database.url, max: 4 });
    await migrateReadDatabase(database.url);
    ({ view, replays, writer } = postgresProjection(pool));
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const endOffsets = [{ topic: TOPIC, partition: 0, offset: '1' }];

  /** Makes `generation` current and its replay completed, as the switch does. */
  async function switchTo(replayId: string, generation: number): Promise<void> {
    await pool.query(`UPDATE order_view_replays SET status = 'completed' WHERE replay_id = $1`, [
      replayId,
    ]);
    await pool.query('UPDATE order_view_state SET current_generation = $1', [generation]);
  }

  it("gives a replay's generation partitions of its own, with its primary keys only until it is indexed like the current one", async () => {
    const replay = await replays.insert(nextReplayId(), endOffsets);

    expect(await partitionsOf(pool, 'order_view')).toEqual([
      'order_view_g1',
      `order_view_g${replay.generation}`,
    ]);
    expect(await partitionsOf(pool, 'order_history')).toEqual([
      'order_history_g1',
      `order_history_g${replay.generation}`,
    ]);
    const current = await indexesOf(pool, 'order_view_g1');
    expect(current).toHaveLength(4);
    const replayed = `order_view_g${replay.generation}`;
    expect(await indexesOf(pool, replayed)).toEqual(
      current.filter((definition) => definition.includes('_pkey')),
    );
    expect(await indexesOf(pool, `order_history_g${replay.generation}`)).toEqual(
      await indexesOf(pool, 'order_history_g1'),
    );
    await fillGeneration(pool, replay.generation, 100);

    // Twice at once (two instances' replays), then once more: built once, no error.
    await Promise.all([
      view.indexGeneration(replay.generation),
      view.indexGeneration(replay.generation),
    ]);
    await view.indexGeneration(replay.generation);
    expect(await indexesOf(pool, replayed)).toEqual(current);
    for (const call of ['order_view_add_generation(0)', 'order_view_index_generation(0)']) {
      await expect(pool.query(`SELECT ${call}`)).rejects.toThrow(
        'a generation is a positive integer',
      );
    }

    await replays.markFailed(replay, 'done with it');
    await view.deleteRetiredGenerations();
  });

  it('reads the current generation only, while a larger one is being built, without scanning either', async () => {
    const replay = await replays.insert(nextReplayId(), endOffsets);
    await fillGeneration(pool, 1, 2_000);
    await fillGeneration(pool, replay.generation, 20_000);
    await pool.query('ANALYZE order_view, order_history');

    const list = orderListQuery({}, undefined, 50);
    const byCustomer = orderListQuery({ customerId: 'c-7' }, undefined, 50);
    const byStatus = orderListQuery(
      { status: 'PLACED' },
      { placedAt: '2026-01-01T00:10:00.000000Z', orderId: 'o-600' },
      50,
    );
    for (const [text, values] of [
      [list.text, list.values],
      [byCustomer.text, byCustomer.values],
      [byStatus.text, byStatus.values],
      [ORDER_BY_ID_SQL, ['o-1500']],
      [ORDER_HISTORY_PAGE_SQL, ['o-1500', 0, 50]],
    ] as const) {
      const nodes = await executedNodes(pool, text, [...values]);
      expect({ text, read: nodes.filter((node) => node.rows > 100) }).toEqual({ text, read: [] });
      const replayed = `order_view_g${replay.generation}`;
      expect(nodes.filter((node) => node.relation === replayed)).toEqual([]);
    }
    const { rows } = await pool.query<{ order_id: string }>(list.text, list.values);
    expect(rows[0].order_id).toBe('o-2000');

    await replays.markFailed(replay, 'done with it');
    await view.deleteRetiredGenerations();
    await pool.query('TRUNCATE order_view, order_history');
  });

  it('drops retired generations whole, keeping the current one and the one a replay builds', async () => {
    const replaced = await replays.insert(nextReplayId(), endOffsets);
    await fillGeneration(pool, replaced.generation, 10);
    expect(await indexesOf(pool, `order_view_g${replaced.generation}`)).toHaveLength(1);
    // Switched without its list indexes (as a projector of an earlier release would): the
    // switch's update builds them.
    await switchTo(replaced.replayId, replaced.generation);
    expect(await indexesOf(pool, `order_view_g${replaced.generation}`)).toEqual(
      await indexesOf(pool, 'order_view_g1'),
    );
    const failed = await replays.insert(nextReplayId(), endOffsets);
    await fillGeneration(pool, failed.generation, 10);
    await replays.markFailed(failed, 'broke');
    const running = await replays.insert(nextReplayId(), endOffsets);
    await fillGeneration(pool, running.generation, 10);
    for (const generation of [1, replaced.generation, failed.generation, running.generation]) {
      await pool.query(
        `INSERT INTO projection_checkpoints (generation, topic, partition, next_offset)
         VALUES ($1, $2, 0, 10) ON CONFLICT DO NOTHING`,
        [generation, TOPIC],
      );
    }

    const dropped = await view.deleteRetiredGenerations();

    expect(dropped.sort((a, b) => a - b)).toEqual([1, failed.generation]);
    const kept = [replaced.generation, running.generation];
    expect(await partitionsOf(pool, 'order_view')).toEqual(kept.map((g) => `order_view_g${g}`));
    expect(await partitionsOf(pool, 'order_history')).toEqual(
      kept.map((g) => `order_history_g${g}`),
    );
    const { rows } = await pool.query<{ generation: number }>(
      'SELECT DISTINCT generation FROM projection_checkpoints ORDER BY 1',
    );
    expect(rows.map((row) => row.generation)).toEqual(kept);
    const current = await pool.query('SELECT count(*)::int AS n FROM current_order_view');
    expect(current.rows).toEqual([{ n: 10 }]);
    expect(await view.deleteRetiredGenerations()).toEqual([]);
  });

  it.each([
    ['one event, its history in the statement', 1],
    ['history by COPY', COPY_FROM_ROWS],
  ])(
    "refuses a cancelled replay's late batch (%s) with an error its consumer retries, not dead-letters",
    async (_, events) => {
      await replays.cancelRunning(); // the one the test before left running
      const replay = await replays.insert(nextReplayId(), endOffsets);
      await replays.cancelRunning();
      await view.deleteRetiredGenerations();
      const placed = Array.from({ length: events }, (_, index) =>
        orderHistory(`late-${events}-${index}`, 'placed'),
      ).flat();
      const late = writer.applyBatch(replay.generation, {
        topic: TOPIC,
        partition: 0,
        events: placed.map((envelope, offset) => ({
          topic: TOPIC,
          partition: 0,
          offset: String(offset),
          envelope,
        })),
        nextOffset: String(placed.length),
      });

      const error: unknown = await late.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ code: '23514' });
      expect(['order_view', 'order_history']).toContain((error as { table?: string }).table);
      expect(isRetriableReplayError(error)).toBe(true);
      const otherCheck = Object.assign(new Error('other'), { code: '23514', table: 'other' });
      expect(isRetriableReplayError(otherCheck)).toBe(false);
    },
  );
});

describe('migrating a view that was not partitioned (real PostgreSQL)', () => {
  let database: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    database = await createTestDatabase('generations_migrated');
    pool = new Pool({ connectionString: database.url, max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it("keeps every generation's rows and history, each generation in partitions of its own, indexed", async () => {
    const before = READ_MODEL_MIGRATIONS.findIndex((Migration) =>
      new Migration().name.includes('GenerationPartitions'),
    );
    expect(before).toBeGreaterThan(0);
    await migrateDatabase({
      ...readDatabaseOptions(migrationConnection(database.url)),
      migrations: READ_MODEL_MIGRATIONS.slice(0, before),
    });
    // The current generation 1 and a running replay's 2, as 0005 left them.
    await pool.query(
      `INSERT INTO order_view_replays (replay_id, generation, status, target_offsets, total_events)
       VALUES (gen_random_uuid(), 2, 'running', '{}', 0)`,
    );
    await fillGeneration(pool, 1, 30);
    await fillGeneration(pool, 2, 20);
    await pool.query(`UPDATE order_view SET event_ids = '{e-1}' WHERE order_id = 'o-1'`);
    const rowsBefore = await pool.query('SELECT * FROM order_view ORDER BY generation, order_id');
    const historyBefore = await pool.query(
      'SELECT * FROM order_history ORDER BY generation, order_id, version',
    );

    await migrateReadDatabase(database.url);

    expect(
      (await pool.query('SELECT * FROM order_view ORDER BY generation, order_id')).rows,
    ).toEqual(rowsBefore.rows);
    expect(
      (await pool.query('SELECT * FROM order_history ORDER BY generation, order_id, version')).rows,
    ).toEqual(historyBefore.rows);
    expect(await partitionsOf(pool, 'order_view')).toEqual(['order_view_g1', 'order_view_g2']);
    expect(await partitionsOf(pool, 'order_history')).toEqual([
      'order_history_g1',
      'order_history_g2',
    ]);
    expect(await indexesOf(pool, 'order_view_g2')).toEqual(await indexesOf(pool, 'order_view_g1'));
    expect(await indexesOf(pool, 'order_view_g1')).toHaveLength(4);
    const current = await pool.query('SELECT count(*)::int AS n FROM current_order_view');
    expect(current.rows).toEqual([{ n: 30 }]);
  });
});
