import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import { Pool, type ClientBase } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { isUniqueViolation, withTransaction } from '@app/database';
import type { OrderEventEnvelope } from '@app/order-events';
import { VIEW_CHANGED_CHANNEL, orderHistoryEntry, type OrderView } from '@app/order-view';
import type { StoredOrder } from '../view/project-batch';
import type { BatchCheckpoint, ViewChanges } from '../view/order-view.store';
import { copyData, textArrayLiteral } from './copy-text';
import type { PoolOrClient } from './pool-or-client';

/**
 * Upserts the rows of $2 (orderRowsJson) into generation $1: one statement for any number. The
 * rows travel as json, which PostgreSQL only checks, into json columns (migration 0007): parsing
 * them into jsonb was a large part of its work per event.
 */
const UPSERT_ORDERS = `INSERT INTO order_view
       (generation, order_id, customer_id, status, placed_at, version, applied_events, event_ids,
        document)
     SELECT $1, r.order_id, r.customer_id, r.status, r.placed_at, r.version, r.applied_events,
            r.event_ids, r.document
       FROM json_to_recordset($2::json) AS r(order_id text, customer_id text, status text,
            placed_at timestamptz, version integer, applied_events integer, event_ids text[],
            document json)
     ON CONFLICT (generation, order_id) DO UPDATE
        SET status = EXCLUDED.status, version = EXCLUDED.version,
            applied_events = EXCLUDED.applied_events, event_ids = EXCLUDED.event_ids,
            document = EXCLUDED.document`;

/** The rows travel as one JSON parameter. */
function orderRowsJson(orders: StoredOrder[]): string {
  return JSON.stringify(
    orders.map(({ view, appliedEvents, eventIds }) => ({
      order_id: view.orderId,
      customer_id: view.customerId,
      status: view.status,
      placed_at: view.placedAt,
      version: view.version,
      applied_events: appliedEvents,
      event_ids: eventIds,
      document: view,
    })),
  );
}

/**
 * Inserts the history rows of $1 (generation) given as `param` (historyRowsJson). Only applied
 * events are given, and each version of an order is one row, so a row already there is this
 * very event: a batch or a resolution read again leaves it as it is.
 */
const insertHistory = (param: string) => `INSERT INTO order_history
       (generation, order_id, version, entry)
     SELECT $1, h.order_id, h.version, h.entry
       FROM json_to_recordset(${param}::json) AS h(order_id text, version integer, entry json)
     ON CONFLICT (generation, order_id, version) DO NOTHING`;

/**
 * From this many history rows on, a batch writes by COPY what it only inserts: its history rows
 * and the rows of orders the view did not hold before it (ViewChanges.heldBefore). COPY stores
 * rows a page at a time, without an insert's work per row, and its text format costs PostgreSQL
 * far less to read than a JSON array. Measured on 300k events with the json columns,
 * PostgreSQL's CPU for the batches' writes went from 19-21 s to 14 s with the history by COPY,
 * and per batch of 6,667 events from 116-119 ms to 90-94 ms with the new rows too
 * (docs/benchmarks.md). Below it, the round trips it adds cost more than it saves, and a live batch
 * keeps its one statement.
 */
export const COPY_FROM_ROWS = 100;

const COPY_HISTORY = 'COPY order_history (generation, order_id, version, entry) FROM STDIN';

const COPY_ORDERS = `COPY order_view (generation, order_id, customer_id, status, placed_at, version,
  applied_events, event_ids, document) FROM STDIN`;

/** The history rows of `events` for COPY_HISTORY. The decoder refuses NULs in an event. */
function historyCopyData(generation: number, events: readonly OrderEventEnvelope[]): Buffer {
  return copyData(
    events.map((event) => [
      generation,
      event.orderId,
      event.version,
      JSON.stringify(orderHistoryEntry(event)),
    ]),
  );
}

/** The rows of `orders` for COPY_ORDERS, as orderRowsJson gives them to UPSERT_ORDERS. */
function orderRowsCopyData(generation: number, orders: readonly StoredOrder[]): Buffer {
  return copyData(
    orders.map(({ view, appliedEvents, eventIds }) => [
      generation,
      view.orderId,
      view.customerId,
      view.status,
      view.placedAt,
      view.version,
      appliedEvents,
      textArrayLiteral(eventIds),
      JSON.stringify(view),
    ]),
  );
}

/** `rows` split by whether the view held them before; without `heldBefore`, every row may be. */
function byHeld(
  rows: readonly StoredOrder[],
  heldBefore: ViewChanges['heldBefore'],
): { held: StoredOrder[]; fresh: StoredOrder[] } {
  if (heldBefore === undefined) return { held: [...rows], fresh: [] };
  const held: StoredOrder[] = [];
  const fresh: StoredOrder[] = [];
  for (const row of rows) (heldBefore.has(row.view.orderId) ? held : fresh).push(row);
  return { held, fresh };
}

function historyRowsJson(events: readonly OrderEventEnvelope[]): string {
  return JSON.stringify(
    events.map((event) => ({
      order_id: event.orderId,
      version: event.version,
      entry: orderHistoryEntry(event),
    })),
  );
}

/** The generation serving reads and the one a running replay builds: never retired. */
const GENERATIONS_IN_USE = `(SELECT current_generation FROM order_view_state
  UNION ALL SELECT generation FROM order_view_replays WHERE status = 'running')`;

/**
 * The view in PostgreSQL (libs/order-view/migrations): its generations (`order_view_state`), the
 * rows of each (`order_view`) and their history (`order_history`). Its statements store, load and
 * lock; the callers decide what to lock and when. Writes and locks run on the transaction they are
 * given (`tx`), reads on the pool unless given one.
 */
@Injectable()
export class OrderViewRepository {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async currentGeneration(db: PoolOrClient = this.pool): Promise<number> {
    const { rows } = await db.query<{ current_generation: number }>(
      'SELECT current_generation FROM order_view_state',
    );
    return rows[0].current_generation;
  }

  /** The generation serving reads, locked in share mode (batches) until `tx` ends. */
  async lockCurrentGeneration(tx: ClientBase): Promise<number> {
    const { rows } = await tx.query<{ current_generation: number }>(
      'SELECT current_generation FROM order_view_state FOR SHARE',
    );
    return rows[0].current_generation;
  }

  /** The generation serving reads, locked for update (a replay's switch) until `tx` ends. */
  async lockCurrentGenerationForUpdate(tx: ClientBase): Promise<number> {
    const { rows } = await tx.query<{ current_generation: number }>(
      'SELECT current_generation FROM order_view_state FOR UPDATE',
    );
    return rows[0].current_generation;
  }

  async makeCurrent(generation: number, tx: ClientBase): Promise<void> {
    await tx.query('UPDATE order_view_state SET current_generation = $1', [generation]);
  }

  /**
   * Builds `generation`'s list indexes unless it has them (migration 0008). On a transaction of
   * its own without a statement timeout: it takes as long as sorting the generation's rows does,
   * and holds back only writes to that generation meanwhile.
   */
  async indexGeneration(generation: number): Promise<void> {
    await withTransaction(this.pool, async (tx) => {
      await tx.query('SET LOCAL statement_timeout = 0');
      await tx.query('SELECT order_view_index_generation($1)', [generation]);
    });
  }

  /** An advisory lock on (generation, partition) until `tx` ends. */
  async lockPartition(generation: number, partition: number, tx: ClientBase): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [generation, partition]);
  }

  /** The stored rows of `orderIds`, and which of them have open parked events. */
  async loadOrders(
    generation: number,
    orderIds: readonly string[],
    db: PoolOrClient = this.pool,
  ): Promise<{ orders: Map<string, StoredOrder>; parkedOrders: Set<string> }> {
    const { rows } = await db.query<{
      order_id: string;
      applied_events: number | null;
      event_ids: (string | null)[] | null;
      document: OrderView | null;
      parked: boolean;
    }>(
      // One primary key lookup per id, whatever the statistics say. The statistics of a
      // generation lag behind it (a replay's new generation, a fresh table: autovacuum analyzes a
      // minute later), and planned with them, a join hashed the whole generation on every batch
      // and a lookup walked it through another index that starts with the generation. So the
      // LIMIT keeps the lookup from being flattened into a join, and the generation reaches it as
      // a subquery's value, which the planner estimates from the column's spread, not from its
      // stale count of this one value.
      `SELECT id AS order_id, v.applied_events, v.event_ids, v.document,
              EXISTS (SELECT 1 FROM parked_events p
                       WHERE p.generation = $1 AND p.order_id = id AND p.resolution IS NULL) AS parked
         FROM unnest($2::text[]) AS id
         LEFT JOIN LATERAL (
           SELECT applied_events, event_ids, document FROM order_view
            WHERE generation = (SELECT $1::integer) AND order_id = id LIMIT 1) v ON true`,
      [generation, orderIds],
    );
    const orders = new Map<string, StoredOrder>();
    const parkedOrders = new Set<string>();
    for (const row of rows) {
      if (row.document) {
        orders.set(row.order_id, {
          view: row.document,
          appliedEvents: row.applied_events ?? 0,
          eventIds: row.event_ids ?? [],
        });
      }
      if (row.parked) parkedOrders.add(row.order_id);
    }
    return { orders, parkedOrders };
  }

  /**
   * The rows and their history rows, in one statement. An order may appear once in `orders`
   * (PostgreSQL refuses to update a row twice in one statement).
   */
  async saveOrders(
    generation: number,
    { orders, history }: ViewChanges,
    tx: ClientBase,
  ): Promise<void> {
    const rows = [...orders];
    if (rows.length === 0 && history.length === 0) return;
    await tx.query(`WITH history AS (${insertHistory('$3')}) ${UPSERT_ORDERS}`, [
      generation,
      orderRowsJson(rows),
      historyRowsJson(history),
    ]);
  }

  /**
   * What a batch writes, in one statement (one round trip; a large batch first COPYs what it only
   * inserts, see COPY_FROM_ROWS): the rows it changed, the history rows of the events it applied,
   * the partition's next offset (projection_checkpoints) and with `notify` the query-service's
   * wake-up if rows changed. The checkpoint never moves backwards:
   * after a switch the live consumer may read again events the new generation already holds,
   * and skips them as duplicates. On the batch's transaction: its parked events and resolutions
   * commit with it.
   */
  async saveBatch(
    generation: number,
    { orders, history, heldBefore }: ViewChanges,
    checkpoint: BatchCheckpoint,
    { notify }: { notify: boolean },
    tx: ClientBase,
  ): Promise<void> {
    const rows = [...orders];
    let upserted = rows;
    let copied = false;
    if (history.length >= COPY_FROM_ROWS) {
      const { held, fresh } = byHeld(rows, heldBefore);
      copied = await this.copyInserts(generation, history, fresh, tx);
      if (copied) upserted = held;
    }
    // Data-modifying WITH queries run to completion whether or not the main query reads them.
    await tx.query(
      `WITH saved AS (${UPSERT_ORDERS}),
       ${copied ? '' : `history AS (${insertHistory('$9')}),`}
       checkpoint AS (
         INSERT INTO projection_checkpoints (generation, topic, partition, next_offset, last_event_at)
         VALUES ($1, $3, $4, $5, $6)
         ON CONFLICT (generation, topic, partition) DO UPDATE
            SET next_offset = greatest(projection_checkpoints.next_offset, EXCLUDED.next_offset),
                last_event_at = greatest(projection_checkpoints.last_event_at,
                                         EXCLUDED.last_event_at),
                updated_at = now())
       SELECT pg_notify($7, '') WHERE $8`,
      [
        generation,
        orderRowsJson(upserted),
        checkpoint.topic,
        checkpoint.partition,
        checkpoint.nextOffset,
        checkpoint.lastEventAt,
        VIEW_CHANGED_CHANNEL,
        notify && rows.length > 0,
        ...(copied ? [] : [historyRowsJson(history)]),
      ],
    );
  }

  /**
   * The history rows and the new orders' rows by COPY, which has no ON CONFLICT; true if they
   * went in. A row already there fails the COPY with a unique violation: a history row that is
   * this very event (see insertHistory), or an order's row that another writer inserted (an
   * order whose events reached two partitions, after the topic gained partitions). The
   * savepoint undoes both COPYs, and everything goes in by the statement, which upserts the
   * rows and leaves those history rows as they are, as a small batch does.
   */
  private async copyInserts(
    generation: number,
    history: readonly OrderEventEnvelope[],
    newOrders: readonly StoredOrder[],
    tx: ClientBase,
  ): Promise<boolean> {
    await tx.query('SAVEPOINT batch_copy');
    try {
      await pipeline(
        Readable.from([historyCopyData(generation, history)]),
        tx.query(copyFrom(COPY_HISTORY)),
      );
      if (newOrders.length > 0) {
        await pipeline(
          Readable.from([orderRowsCopyData(generation, newOrders)]),
          tx.query(copyFrom(COPY_ORDERS)),
        );
      }
      return true;
    } catch (error) {
      // Not by constraint name: each generation's partition has its own.
      if (!isUniqueViolation(error)) throw error;
      await tx.query('ROLLBACK TO SAVEPOINT batch_copy');
      return false;
    }
  }

  /** The query-service's wake-up, sent when `tx` commits (not at all if it rolls back). */
  async notifyViewChanged(tx: ClientBase): Promise<void> {
    await tx.query('SELECT pg_notify($1, $2)', [VIEW_CHANGED_CHANNEL, '']);
  }

  /**
   * Whether partitions of a generation that neither serves reads nor is being built are left: a
   * look at the catalog, without the drop's locks.
   */
  async hasRetiredGenerations(): Promise<boolean> {
    const { rows } = await this.pool.query<{ left: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
          WHERE i.inhparent IN ('order_view'::regclass, 'order_history'::regclass)
            AND c.relname ~ '_g[0-9]+$'
            AND substring(c.relname FROM '_g([0-9]+)$')::integer NOT IN ${GENERATIONS_IN_USE}
       ) AS left`,
    );
    return rows[0].left;
  }

  /**
   * Removes what generations that neither serve reads nor are being built leave behind (the one
   * a replay replaced, or a failed or cancelled replay's): their view and history partitions are
   * dropped whole, their parked events and checkpoints deleted. Returns the generations removed.
   */
  async deleteRetiredGenerations(): Promise<number[]> {
    const { rows } = await this.pool.query<{ generation: number }>(
      'SELECT order_view_drop_retired_generations() AS generation',
    );
    await this.pool.query(
      `DELETE FROM parked_events WHERE generation NOT IN ${GENERATIONS_IN_USE}`,
    );
    await this.pool.query(
      `DELETE FROM projection_checkpoints WHERE generation NOT IN ${GENERATIONS_IN_USE}`,
    );
    return rows.map((row) => row.generation);
  }
}
