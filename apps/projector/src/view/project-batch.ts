import type { OrderEventEnvelope } from '@app/order-events';
import { projectOrderEvent, type OrderView } from '@app/order-view';

/** An event with the place it was read from. */
export interface PositionedEvent {
  topic: string;
  partition: number;
  offset: string;
  envelope: OrderEventEnvelope;
}

/** One row of the view as stored. */
export interface StoredOrder {
  view: OrderView;
  /** Events applied to the row so far; a double apply would make it exceed the version. */
  appliedEvents: number;
}

export interface ParkedEvent extends Omit<PositionedEvent, 'envelope'> {
  envelope: OrderEventEnvelope;
  reason: string;
}

/** What the view holds for the batch's orders before the batch. */
export interface BatchStart {
  orders: ReadonlyMap<string, StoredOrder>;
  /** Orders with parked events: their later events are parked too, to keep their order. */
  parkedOrders: ReadonlySet<string>;
}

export interface BatchOutcome {
  /** The rows the batch changed, as they are after it. */
  changed: Map<string, StoredOrder>;
  parked: ParkedEvent[];
  applied: number;
  duplicates: number;
}

export const PARKED_BEHIND_REASON = 'an earlier event of this order is parked';

/**
 * Projects a batch of events (in offset order) onto the rows they touch. Pure: the caller loads
 * `start` and stores the outcome in one transaction.
 */
export function projectBatch(start: BatchStart, events: readonly PositionedEvent[]): BatchOutcome {
  const changed = new Map<string, StoredOrder>();
  const parkedOrders = new Set(start.parkedOrders);
  const outcome: BatchOutcome = { changed, parked: [], applied: 0, duplicates: 0 };

  for (const event of events) {
    const { orderId } = event.envelope;
    const stored = changed.get(orderId) ?? start.orders.get(orderId);
    if (stored && event.envelope.version <= stored.view.version) {
      outcome.duplicates += 1;
      continue;
    }
    if (parkedOrders.has(orderId)) {
      outcome.parked.push({ ...event, reason: PARKED_BEHIND_REASON });
      continue;
    }
    const projected = projectOrderEvent(stored?.view, event.envelope);
    switch (projected.kind) {
      case 'applied':
        changed.set(orderId, {
          view: projected.view,
          appliedEvents: (stored?.appliedEvents ?? 0) + 1,
        });
        outcome.applied += 1;
        break;
      case 'duplicate':
        outcome.duplicates += 1;
        break;
      case 'unapplicable':
        parkedOrders.add(orderId);
        outcome.parked.push({ ...event, reason: projected.reason });
        break;
    }
  }
  return outcome;
}
