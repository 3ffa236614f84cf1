import type { OrderEventType } from '@app/order-domain';
import {
  upcastOrderEvent,
  type OrderEventEnvelope,
  type RecordedOrderEvent,
} from '@app/order-events';
import type { OrderView, OrderViewStatus, ProjectionOutcome } from './order-view';

/**
 * Applies one consumed event to the view of its order (undefined: no event applied yet). Pure
 * and total: it never throws and never mutates its inputs, because a throw inside the consumer
 * would stall the partition on one bad record. What it cannot apply it reports, for parking.
 */
export function projectOrderEvent(
  current: OrderView | undefined,
  event: RecordedOrderEvent,
): ProjectionOutcome {
  const { version } = event;
  // First of all: a redelivery is harmless whatever it holds, even a type this code does not
  // know, and parking it would block an order that is fine.
  if (current !== undefined && version <= current.version) return { kind: 'duplicate' };
  if (!Number.isSafeInteger(version) || version < 1) {
    return unapplicable('version must be a positive integer');
  }
  // Applying past a gap would serve a view that silently lacks the missing event.
  const expected = (current?.version ?? 0) + 1;
  if (version !== expected) {
    return unapplicable(`version gap: expected ${expected}, got ${version}`);
  }
  if (typeof event.orderId !== 'string' || event.orderId === '') {
    return unapplicable('orderId must be a non-empty string');
  }
  // The caller finds the view by the envelope's orderId, so a mismatch is a bug upstream.
  if (current !== undefined && event.orderId !== current.orderId) {
    return unapplicable(`the event is of order ${event.orderId}, the view of ${current.orderId}`);
  }
  // Older schema versions are read as the newest; unknown types and versions, and data its
  // own version's schema refuses, park (a newer projector may read them: retry after deploy).
  const reading = upcastOrderEvent(event);
  if (reading.kind !== 'read') return unapplicable(reading.reason);
  const { occurredAt } = reading.event;
  // The decoder checks the timestamp too; this keeps the function total on any input.
  if (typeof occurredAt !== 'string' || Number.isNaN(Date.parse(occurredAt))) {
    return unapplicable(`${reading.event.type} has no valid occurredAt timestamp`);
  }
  const next = nextView(current, reading.event);
  return typeof next === 'string'
    ? unapplicable(next)
    : { kind: 'applied', view: next, event: reading.event };
}

/**
 * An operator decided to skip a parked event (or the gap before it): the view takes the event's
 * version and nothing else, so the order's later events apply again instead of staying parked
 * behind it forever. A version not newer than the view's is ignored, as moving the version back
 * would let already applied events apply twice.
 */
export function skipOrderEvent(current: OrderView, event: RecordedOrderEvent): OrderView {
  return event.version > current.version ? { ...current, version: event.version } : current;
}

/** The view of one order from its events as consumed, redeliveries included. */
export function foldOrderView(events: readonly RecordedOrderEvent[]): OrderView | undefined {
  return events.reduce<OrderView | undefined>((view, event) => {
    const outcome = projectOrderEvent(view, event);
    switch (outcome.kind) {
      case 'applied':
        return outcome.view;
      case 'duplicate':
        return view;
      case 'unapplicable':
        throw new Error(
          `Event ${event.eventId} (version ${event.version}) of order ${event.orderId} is unapplicable: ${outcome.reason}`,
        );
    }
  }, undefined);
}

/**
 * The event, upcast and its data checked, applied to the view, or why it cannot be. The transitions
 * are evolve's (libs/order-domain/src/order.state.ts): a view must never show a state the domain
 * refuses. Only the known fields of `data` are copied, so the document keeps the contract's shape.
 */
function nextView(current: OrderView | undefined, event: OrderEventEnvelope): OrderView | string {
  const at = event.occurredAt;
  const stamp = { version: event.version, updatedAt: at };
  if (current === undefined) {
    if (event.type !== 'OrderPlaced') return cannotApply(event.type, 'NEW');
    const { customerId, currency, items, total, shippingAddress } = event.data;
    const placed: OrderView = {
      orderId: event.orderId,
      customerId,
      status: 'PLACED',
      currency,
      items: items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
      total,
      placedAt: at,
      ...stamp,
    };
    if (shippingAddress === undefined) return placed;
    const { recipient, line1, line2, postalCode, city, country } = shippingAddress;
    const address = { recipient, line1, postalCode, city, country };
    return {
      ...placed,
      shippingAddress: line2 === undefined ? address : { ...address, line2 },
    };
  }
  switch (event.type) {
    case 'OrderPlaced':
      return cannotApply(event.type, current.status);
    case 'OrderPaid': {
      if (current.status !== 'PLACED') return cannotApply(event.type, current.status);
      const { amount, paymentReference } = event.data;
      return {
        ...current,
        status: 'PAID',
        paidAt: at,
        payment: { amount, paymentReference },
        ...stamp,
      };
    }
    case 'OrderShipped': {
      if (current.status !== 'PAID') return cannotApply(event.type, current.status);
      const { carrier, trackingNumber } = event.data;
      return {
        ...current,
        status: 'SHIPPED',
        shippedAt: at,
        shipment: { carrier, trackingNumber },
        ...stamp,
      };
    }
    case 'OrderCancelled': {
      if (current.status !== 'PLACED' && current.status !== 'PAID') {
        return cannotApply(event.type, current.status);
      }
      const { reason } = event.data;
      return {
        ...current,
        status: 'CANCELLED',
        cancelledAt: at,
        cancellation: { reason },
        ...stamp,
      };
    }
  }
}

function cannotApply(type: OrderEventType, status: OrderViewStatus | 'NEW'): string {
  return `${type} cannot apply to an order in status ${status}`;
}

function unapplicable(reason: string): ProjectionOutcome {
  return { kind: 'unapplicable', reason };
}
