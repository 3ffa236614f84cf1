import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { withTransaction } from '@app/database';
import {
  appendPlacedOrders,
  placedOrder,
  PLACE_ORDER_BODY,
  type PlacedOrder,
} from './placed-orders';

const FILL_CHUNK = 5_000;
const POLL_MS = 100;

export interface PublishRate {
  events: number;
  seconds: number;
  eventsPerSecond: number;
}

export function makePlacedOrders(count: number): PlacedOrder[] {
  return Array.from({ length: count }, () => placedOrder(PLACE_ORDER_BODY));
}

/**
 * Empties the event store, then stores `orders` (events and outbox rows) in one transaction.
 * The fill's aftermath is then settled before the clock starts: autovacuum would otherwise take
 * up the 100k rows just inserted, and the checkpointer their pages, during the relay's drain,
 * on CPU the raw kafkajs side does not share.
 */
export async function fillOutbox(db: Pool, orders: readonly PlacedOrder[]): Promise<void> {
  await db.query('TRUNCATE order_events, outbox, idempotency_keys');
  await withTransaction(db, async (client) => {
    for (let start = 0; start < orders.length; start += FILL_CHUNK) {
      await appendPlacedOrders(client, orders.slice(start, start + FILL_CHUNK));
    }
  });
  await db.query('VACUUM ANALYZE order_events, outbox');
  await db.query('CHECKPOINT');
}

/**
 * Polls the outbox depth every 100 ms until it is empty. The clock starts at the first poll that
 * sees rows gone, so the relay's start-up (connections, lock, first batch) is not counted, and the
 * rate is the rows left at that poll over the time until none are.
 *
 * The depth is read from the ids' range, two index lookups, not by count(*): counting 50k rows
 * every 100 ms took PostgreSQL 8-13 ms each time, a tenth of a core taken from the relay's side
 * only, on a machine whose cores the brokers already share. fillOutbox's ids are contiguous and
 * the relay deletes whole batches oldest first, so the range is exactly the rows left.
 */
export async function timeOutboxDrain(
  db: Pool,
  total: number,
  { isAlive, timeoutMs = 600_000 }: { isAlive: () => boolean; timeoutMs?: number },
): Promise<PublishRate> {
  const deadline = Date.now() + timeoutMs;
  let start: { at: bigint; remaining: number } | undefined;
  for (;;) {
    const remaining = await outboxIdRange(db);
    const now = process.hrtime.bigint();
    if (start === undefined && remaining < total) start = { at: now, remaining };
    if (start !== undefined && remaining === 0) return rate(start.remaining, now - start.at);
    if (!isAlive()) throw new Error('the command-service exited while draining the outbox');
    if (Date.now() > deadline) throw new Error(`outbox still holds ${remaining} rows`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * The relay's Kafka work done with raw kafkajs: same producer settings (idempotent, one request
 * in flight, acks -1), same records (key = order id, payload, headers), same batch size, one
 * send at a time, to `topic` (created by the caller). One batch first warms up connections and
 * metadata.
 */
export async function timeRawProducer(
  kafka: Kafka,
  topic: string,
  orders: readonly PlacedOrder[],
  batchSize: number,
): Promise<PublishRate> {
  const producer = await connectRelayLikeProducer(kafka);
  try {
    const batches = inBatches(orders.map(toMessage), batchSize);
    await producer.send({ topic, acks: -1, messages: batches[0] });
    const started = process.hrtime.bigint();
    for (const messages of batches) await producer.send({ topic, acks: -1, messages });
    return rate(orders.length, process.hrtime.bigint() - started);
  } finally {
    await producer.disconnect();
  }
}

/** A raw kafkajs producer with the relay's settings: idempotent, one request in flight. */
export async function connectRelayLikeProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  return producer;
}

/** Rows from the oldest id to the newest: the depth, while the ids left are contiguous. */
async function outboxIdRange(db: Pool): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT coalesce(max(id) - min(id) + 1, 0)::int AS n FROM outbox',
  );
  return rows[0].n;
}

export async function outboxDepth(db: Pool): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
  return rows[0].n;
}

function toMessage(order: PlacedOrder): Message {
  return { key: order.orderId, value: order.payload, headers: order.headers };
}

function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += size) {
    batches.push(items.slice(start, start + size));
  }
  return batches;
}

function rate(events: number, nanoseconds: bigint): PublishRate {
  const seconds = Number(nanoseconds) / 1e9;
  if (events === 0 || seconds === 0) throw new Error('too few events to time: raise BENCH_EVENTS');
  return { events, seconds, eventsPerSecond: events / seconds };
}
