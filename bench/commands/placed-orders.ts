import { randomUUID } from 'node:crypto';
import type { PoolClient } from 'pg';
import { latestSchemaVersion, orderEventHeaders, timeOrderedUuid } from '@app/order-events';

export interface PlaceOrderBody {
  customerId: string;
  currency: string;
  items: { sku: string; quantity: number; unitPrice: number }[];
}

/** The body every benchmark request sends: `anOrder` of the command-service harness. */
export const PLACE_ORDER_BODY: PlaceOrderBody = {
  customerId: 'customer-1',
  currency: 'EUR',
  items: [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1_250 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 500 },
  ],
};

/** An OrderPlaced event as the command-service stores it: its row values and its outbox record. */
export interface PlacedOrder {
  orderId: string;
  eventId: string;
  total: number;
  data: string;
  metadata: string;
  occurredAt: string;
  /** The §4 envelope, as the outbox's payload and the Kafka record's value. */
  payload: string;
  headers: Record<string, string>;
}

export function placedOrder(body: PlaceOrderBody, correlationId = randomUUID()): PlacedOrder {
  const total = body.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
  const data = { customerId: body.customerId, currency: body.currency, items: body.items, total };
  const metadata = { correlationId, causationId: randomUUID() };
  const envelope = {
    eventId: timeOrderedUuid(),
    type: 'OrderPlaced' as const,
    orderId: timeOrderedUuid(),
    version: 1,
    occurredAt: new Date().toISOString(),
    schemaVersion: latestSchemaVersion('OrderPlaced'),
    data,
    metadata,
  };
  return {
    orderId: envelope.orderId,
    eventId: envelope.eventId,
    total,
    data: JSON.stringify(data),
    metadata: JSON.stringify(metadata),
    occurredAt: envelope.occurredAt,
    payload: JSON.stringify(envelope),
    headers: orderEventHeaders(envelope),
  };
}

/**
 * Inserts each order's event and its outbox row in one statement, the way PostgresOrderEventStore.append
 * does (a CTE over unnest, so outbox ids follow the array order). Run inside the caller's
 * transaction.
 */
export async function appendPlacedOrders(
  client: PoolClient,
  orders: readonly PlacedOrder[],
): Promise<void> {
  await client.query(
    `WITH appended AS (
       INSERT INTO order_events
         (order_id, version, event_id, type, schema_version, data, metadata, occurred_at)
       SELECT order_id, 1, event_id, 'OrderPlaced', $8, data, metadata, occurred_at
         FROM unnest($1::text[], $2::uuid[], $3::jsonb[], $4::jsonb[], $5::timestamptz[])
              AS e(order_id, event_id, data, metadata, occurred_at)
     )
     INSERT INTO outbox (event_id, order_id, payload, headers)
     SELECT event_id, order_id, payload, headers
       FROM unnest($2::uuid[], $1::text[], $6::text[], $7::jsonb[])
            AS o(event_id, order_id, payload, headers)`,
    [
      orders.map((order) => order.orderId),
      orders.map((order) => order.eventId),
      orders.map((order) => order.data),
      orders.map((order) => order.metadata),
      orders.map((order) => order.occurredAt),
      orders.map((order) => order.payload),
      orders.map((order) => JSON.stringify(order.headers)),
      latestSchemaVersion('OrderPlaced'),
    ],
  );
}
