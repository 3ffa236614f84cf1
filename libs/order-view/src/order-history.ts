import type { OrderEventEnvelope } from '@app/order-events';

/**
 * One event of an order's history, as the read side stores it (json, in the projector's batch
 * transaction) and GET /orders/:id/history returns it: the events the view applied, in version
 * order, each as the projection read it (its data upcast to the newest schema version of its
 * type, so a client meets one shape per type).
 */
export interface OrderHistoryEntry {
  readonly eventId: string;
  readonly type: OrderEventEnvelope['type'];
  readonly version: number;
  /** ISO 8601, as the event has it (the view's placedAt, paidAt… are the same strings). */
  readonly occurredAt: string;
  readonly data: OrderEventEnvelope['data'];
  /** The request that led to the event; null when its writer recorded none. */
  readonly correlationId: string | null;
}

/**
 * The entry of an applied event. Pure and total, like the projection: the decoder checks the
 * envelope, not what its metadata holds.
 */
export function orderHistoryEntry(event: OrderEventEnvelope): OrderHistoryEntry {
  const correlationId = (event.metadata as { correlationId?: unknown } | undefined)?.correlationId;
  return {
    eventId: event.eventId,
    type: event.type,
    version: event.version,
    occurredAt: event.occurredAt,
    data: event.data,
    correlationId: typeof correlationId === 'string' ? correlationId : null,
  };
}
