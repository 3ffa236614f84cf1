import type { ClientBase, Pool } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import { VIEW_CHANGED_CHANNEL, orderHistoryEntry, type OrderView } from '@app/order-view';
import type { ParkedEvent, StoredOrder } from './project-batch';
import { decisionKey, decisionKeyOf, type OperatorDecision } from './resume-parked';

/**
 * The SQL of the read database (libs/order-view/migrations). Every function takes the
 * generation it works on: a replay writes the next generation while the current one serves.
 */

/**
 * The generation serving reads, locked in share mode until the transaction ends, so that a
 * replay's switch (which locks it for update) waits for batches in flight and they for it.
 */
export async function lockCurrentGeneration(client: ClientBase): Promise<number> {
  const { rows } = await client.query<{ current_generation: number }>(
    'SELECT current_generation FROM order_view_state FOR SHARE',
  );
  return rows[0].current_generation;
}

export async function currentGeneration(db: Pool | ClientBase): Promise<number> {
  const { rows } = await db.query<{ current_generation: number }>(
    'SELECT current_generation FROM order_view_state',
  );
  return rows[0].current_generation;
}

/**
 * One writer per partition of a generation at a time: a consumer that lost the partition in a
 * rebalance may still be finishing a batch the new owner also reads, and an operator's retry
 * touches the same rows.
 */
export async function lockPartition(
  client: ClientBase,
  generation: number,
  partition: number,
): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1, $2)', [generation, partition]);
}

/** The stored rows of `orderIds`, and which of them have parked events. */
export async function loadOrders(
  client: ClientBase,
  generation: number,
  orderIds: string[],
): Promise<{ orders: Map<string, StoredOrder>; parkedOrders: Set<string> }> {
  const { rows } = await client.query<{
    order_id: string;
    applied_events: number | null;
    event_ids: (string | null)[] | null;
    document: OrderView | null;
    parked: boolean;
  }>(
    // One primary key lookup per id, whatever the statistics say. The statistics of a
    // generation lag behind it (a replay's new generation, a fresh table: autovacuum analyzes a
    // minute later), and planned with them, a join hashed the whole generation on every batch and
    // a lookup walked it through another index that starts with the generation. So the LIMIT
    // keeps the lookup from being flattened into a join, and the generation reaches it as a
    // subquery's value, which the planner estimates from the column's spread, not from its stale
    // count of this one value.
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

/** Upserts the rows of $2 (orderRowsJson) into generation $1: one statement for any number. */
const UPSERT_ORDERS = `INSERT INTO order_view
       (generation, order_id, customer_id, status, placed_at, version, applied_events, event_ids,
        document)
     SELECT $1, r.order_id, r.customer_id, r.status, r.placed_at, r.version, r.applied_events,
            r.event_ids, r.document
       FROM jsonb_to_recordset($2::jsonb) AS r(order_id text, customer_id text, status text,
            placed_at timestamptz, version integer, applied_events integer, event_ids text[],
            document jsonb)
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
       FROM jsonb_to_recordset(${param}::jsonb) AS h(order_id text, version integer, entry jsonb)
     ON CONFLICT (generation, order_id, version) DO NOTHING`;

function historyRowsJson(events: readonly OrderEventEnvelope[]): string {
  return JSON.stringify(
    events.map((event) => ({
      order_id: event.orderId,
      version: event.version,
      entry: orderHistoryEntry(event),
    })),
  );
}

/** What applying events changed: the rows as they are now, and the events applied (as read). */
export interface ViewChanges {
  orders: Iterable<StoredOrder>;
  history: readonly OrderEventEnvelope[];
}

/** The rows and their history rows, in one statement. */
export async function saveOrders(
  client: ClientBase,
  generation: number,
  { orders, history }: ViewChanges,
): Promise<void> {
  const rows = [...orders];
  if (rows.length === 0 && history.length === 0) return;
  await client.query(`WITH history AS (${insertHistory('$3')}) ${UPSERT_ORDERS}`, [
    generation,
    orderRowsJson(rows),
    historyRowsJson(history),
  ]);
}

export interface BatchCheckpoint {
  topic: string;
  partition: number;
  nextOffset: string;
  lastEventAt: string | null;
}

/**
 * What a batch writes, in one statement (one round trip): the rows it changed, the history rows
 * of the events it applied, the partition's next offset, and with `notify` the query-service's
 * wake-up if rows changed. The checkpoint never moves backwards: after a switch the live
 * consumer may read again events the new generation already holds, and skips them as
 * duplicates.
 */
export async function saveBatch(
  client: ClientBase,
  generation: number,
  { orders, history }: ViewChanges,
  checkpoint: BatchCheckpoint,
  { notify }: { notify: boolean },
): Promise<void> {
  const rows = [...orders];
  // Data-modifying WITH queries run to completion whether or not the main query reads them.
  await client.query(
    `WITH saved AS (${UPSERT_ORDERS}),
     history AS (${insertHistory('$9')}),
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
      orderRowsJson(rows),
      checkpoint.topic,
      checkpoint.partition,
      checkpoint.nextOffset,
      checkpoint.lastEventAt,
      VIEW_CHANGED_CHANNEL,
      notify && rows.length > 0,
      historyRowsJson(history),
    ],
  );
}

export async function saveParkedEvents(
  client: ClientBase,
  generation: number,
  events: ParkedEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((event) => ({
    topic: event.topic,
    partition: event.partition,
    offset: event.offset,
    order_id: event.envelope.orderId,
    version: event.envelope.version,
    event_type: event.envelope.type,
    envelope: event.envelope,
    reason: event.reason,
  }));
  // A batch read again (after a crash or a switch) parks the same offsets again: kept once.
  await client.query(
    `INSERT INTO parked_events
       (generation, topic, partition, "offset", order_id, version, event_type, envelope, reason)
     SELECT $1, r.topic, r.partition, r."offset", r.order_id, r.version, r.event_type, r.envelope,
            r.reason
       FROM jsonb_to_recordset($2::jsonb) AS r(topic text, partition integer, "offset" bigint,
            order_id text, version integer, event_type text, envelope jsonb, reason text)
     ON CONFLICT DO NOTHING`,
    [generation, JSON.stringify(rows)],
  );
}

export interface Checkpoint {
  partition: number;
  nextOffset: string;
  lastEventAt: Date | null;
}

export async function readCheckpoints(
  db: Pool | ClientBase,
  generation: number,
  topic: string,
): Promise<Map<number, Checkpoint>> {
  const { rows } = await db.query<{
    partition: number;
    next_offset: string;
    last_event_at: Date | null;
  }>(
    `SELECT partition, next_offset::text, last_event_at FROM projection_checkpoints
      WHERE generation = $1 AND topic = $2`,
    [generation, topic],
  );
  return new Map(
    rows.map((row) => [
      row.partition,
      { partition: row.partition, nextOffset: row.next_offset, lastEventAt: row.last_event_at },
    ]),
  );
}

export async function notifyViewChanged(client: ClientBase): Promise<void> {
  await client.query('SELECT pg_notify($1, $2)', [VIEW_CHANGED_CHANNEL, '']);
}

export interface ParkedEventRow {
  topic: string;
  partition: number;
  offset: string;
  orderId: string;
  version: number;
  eventType: string;
  envelope: OrderEventEnvelope;
  reason: string;
  parkedAt: Date;
  resolution: 'applied' | 'skipped' | 'duplicate' | null;
  resolvedAt: Date | null;
}

const PARKED_COLUMNS = `topic, partition, "offset"::text AS "offset", order_id AS "orderId",
  version, event_type AS "eventType", envelope, reason, parked_at AS "parkedAt", resolution,
  resolved_at AS "resolvedAt"`;

/** The order's events still parked, in version order; locked until the transaction ends. */
export async function lockOpenParkedEvents(
  client: ClientBase,
  generation: number,
  orderId: string,
): Promise<ParkedEventRow[]> {
  const { rows } = await client.query<ParkedEventRow>(
    `SELECT ${PARKED_COLUMNS} FROM parked_events
      WHERE generation = $1 AND order_id = $2 AND resolution IS NULL
      ORDER BY version, "offset" FOR UPDATE`,
    [generation, orderId],
  );
  return rows;
}

export async function resolveParkedEvents(
  client: ClientBase,
  generation: number,
  resolved: { event: ParkedEventRow; resolution: 'applied' | 'skipped' | 'duplicate' }[],
): Promise<void> {
  if (resolved.length === 0) return;
  await client.query(
    `UPDATE parked_events p SET resolution = r.resolution, resolved_at = now()
       FROM jsonb_to_recordset($2::jsonb) AS r(topic text, partition integer, "offset" bigint,
            resolution text)
      WHERE p.generation = $1 AND p.topic = r.topic AND p.partition = r.partition
        AND p."offset" = r."offset"`,
    [
      generation,
      JSON.stringify(
        resolved.map(({ event, resolution }) => ({
          topic: event.topic,
          partition: event.partition,
          offset: event.offset,
          resolution,
        })),
      ),
    ],
  );
}

export async function updateParkedReason(
  client: ClientBase,
  generation: number,
  event: ParkedEventRow,
  reason: string,
): Promise<void> {
  await client.query(
    `UPDATE parked_events SET reason = $5
      WHERE generation = $1 AND topic = $2 AND partition = $3 AND "offset" = $4`,
    [generation, event.topic, event.partition, event.offset, reason],
  );
}

/** Parked events of the generation, open ones first, then the most recently resolved. */
export async function listParkedEvents(
  db: Pool,
  generation: number,
  limit: number,
): Promise<ParkedEventRow[]> {
  const { rows } = await db.query<ParkedEventRow>(
    `SELECT ${PARKED_COLUMNS} FROM parked_events WHERE generation = $1
      ORDER BY resolution IS NOT NULL, coalesce(resolved_at, parked_at) DESC, order_id, version
      LIMIT $2`,
    [generation, limit],
  );
  return rows;
}

/** The generation a running replay is building, if one runs. */
export async function generationBeingBuilt(client: ClientBase): Promise<number | undefined> {
  const { rows } = await client.query<{ generation: number }>(
    `SELECT generation FROM order_view_replays WHERE status = 'running'`,
  );
  return rows[0]?.generation;
}

/** Operators' decisions on events of `orderIds`, taken in any generation, by decisionKey. */
export async function loadDecisions(
  client: ClientBase,
  orderIds: string[],
): Promise<Map<string, OperatorDecision>> {
  if (orderIds.length === 0) return new Map();
  const { rows } = await client.query<{
    order_id: string;
    version: number;
    event_id: string;
    decision: OperatorDecision;
  }>(
    `SELECT order_id, version, event_id, decision FROM parked_event_decisions
      WHERE order_id = ANY($1::text[])`,
    [orderIds],
  );
  return new Map(
    rows.map((row) => [decisionKey(row.order_id, row.version, row.event_id), row.decision]),
  );
}

export async function saveDecisions(
  client: ClientBase,
  decisions: { envelope: OrderEventEnvelope; decision: OperatorDecision }[],
): Promise<void> {
  if (decisions.length === 0) return;
  const rows = new Map(
    decisions.map(({ envelope, decision }) => [
      decisionKeyOf(envelope),
      {
        order_id: envelope.orderId,
        version: envelope.version,
        event_id: envelope.eventId,
        decision,
      },
    ]),
  );
  await client.query(
    `INSERT INTO parked_event_decisions (order_id, version, event_id, decision)
     SELECT r.order_id, r.version, r.event_id, r.decision
       FROM jsonb_to_recordset($1::jsonb) AS r(order_id text, version integer, event_id text,
            decision text)
     ON CONFLICT (order_id, version, event_id) DO UPDATE
        SET decision = EXCLUDED.decision, decided_at = now()`,
    [JSON.stringify([...rows.values()])],
  );
}
