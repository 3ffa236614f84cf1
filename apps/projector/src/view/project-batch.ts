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
  /**
   * The id of the event behind each version (index version - 1), applied or skipped; null where
   * unknown (rows written before ids were kept). A redelivery has the same id; another event
   * claiming a version already taken is a conflict, not a duplicate.
   */
  eventIds: (string | null)[];
}

/** The row after `envelope` was applied (or skipped) and produced `view`. */
export function storedAfter(
  stored: StoredOrder | undefined,
  envelope: OrderEventEnvelope,
  view: OrderView,
  { applied }: { applied: boolean },
): StoredOrder {
  const eventIds = stored ? stored.eventIds.slice() : [];
  eventIds[envelope.version - 1] = envelope.eventId;
  // A version beyond the known ones leaves a gap: unknown, as in rows without ids.
  for (let index = 0; index < eventIds.length; index++) eventIds[index] ??= null;
  return { view, appliedEvents: (stored?.appliedEvents ?? 0) + (applied ? 1 : 0), eventIds };
}

/** Why `envelope` conflicts with the row's history, if it claims a version another event has. */
export function conflictWith(
  stored: StoredOrder,
  envelope: OrderEventEnvelope,
): string | undefined {
  const seen = stored.eventIds[envelope.version - 1];
  if (seen === undefined || seen === null || seen === envelope.eventId) return undefined;
  return `conflicting event: version ${envelope.version} of this order is event ${seen}, not ${envelope.eventId}`;
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
  /**
   * The events applied, in the order applied, as the projection read them: the orders' history
   * rows, stored with the rows they built. Duplicates and parked events are not in it, so a
   * batch read again adds nothing.
   */
  history: OrderEventEnvelope[];
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
  const outcome: BatchOutcome = { changed, history: [], parked: [], applied: 0, duplicates: 0 };

  for (const event of events) {
    const { orderId } = event.envelope;
    const stored = changed.get(orderId) ?? start.orders.get(orderId);
    if (stored && event.envelope.version <= stored.view.version) {
      const conflict = conflictWith(stored, event.envelope);
      if (conflict === undefined) {
        outcome.duplicates += 1;
        continue;
      }
      parkedOrders.add(orderId);
      outcome.parked.push({ ...event, reason: conflict });
      continue;
    }
    if (parkedOrders.has(orderId)) {
      outcome.parked.push({ ...event, reason: PARKED_BEHIND_REASON });
      continue;
    }
    const projected = projectOrderEvent(stored?.view, event.envelope);
    switch (projected.kind) {
      case 'applied':
        changed.set(
          orderId,
          storedAfter(stored, event.envelope, projected.view, { applied: true }),
        );
        outcome.history.push(projected.event);
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
