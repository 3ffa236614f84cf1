import { isPrintableText, type OrderEventType } from '@app/order-domain';
import { isKnownOrderEventType, type OrderEventEnvelope } from '@app/order-events';
import type { OrderView, OrderViewStatus, ProjectionOutcome } from './order-view';

/**
 * Applies one consumed event to the view of its order (undefined: no event applied yet). Pure
 * and total: it never throws and never mutates its inputs, because a throw inside the consumer
 * would stall the partition on one bad record. What it cannot apply it reports, for parking.
 */
export function projectOrderEvent(
  current: OrderView | undefined,
  event: OrderEventEnvelope,
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
  if (!isText(event.orderId)) return unapplicable('orderId must be a non-empty string');
  // The caller finds the view by the envelope's orderId, so a mismatch is a bug upstream.
  if (current !== undefined && event.orderId !== current.orderId) {
    return unapplicable(`the event is of order ${event.orderId}, the view of ${current.orderId}`);
  }
  const type: unknown = event.type;
  if (typeof type !== 'string' || !isKnownOrderEventType(type)) {
    return unapplicable(`unknown event type ${typeof type === 'string' ? type : typeof type}`);
  }
  const problem = problemIn(event);
  if (problem !== undefined) return unapplicable(problem);
  const next = nextView(current, event);
  return typeof next === 'string' ? unapplicable(next) : { kind: 'applied', view: next };
}

/**
 * An operator decided to skip a parked event (or the gap before it): the view takes the event's
 * version and nothing else, so the order's later events apply again instead of staying parked
 * behind it forever. A version not newer than the view's is ignored, as moving the version back
 * would let already applied events apply twice.
 */
export function skipOrderEvent(current: OrderView, event: OrderEventEnvelope): OrderView {
  return event.version > current.version ? { ...current, version: event.version } : current;
}

/** The view of one order from its events as consumed, redeliveries included. */
export function foldOrderView(events: readonly OrderEventEnvelope[]): OrderView | undefined {
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
 * The event, its data already checked, applied to the view, or why it cannot be. The transitions
 * are evolve's (libs/order-domain/src/order.state.ts): a view must never show a state the domain
 * refuses. Only the known fields of `data` are copied, so the document keeps the contract's shape.
 */
function nextView(current: OrderView | undefined, event: OrderEventEnvelope): OrderView | string {
  const at = event.occurredAt;
  const stamp = { version: event.version, updatedAt: at };
  if (current === undefined) {
    if (event.type !== 'OrderPlaced') return cannotApply(event.type, 'NEW');
    const { customerId, currency, items, total } = event.data;
    return {
      orderId: event.orderId,
      customerId,
      status: 'PLACED',
      currency,
      items: items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
      total,
      placedAt: at,
      ...stamp,
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

type Check = (value: unknown) => boolean;

const isText: Check = (value) => typeof value === 'string' && value !== '';
const isString: Check = (value) => typeof value === 'string';
// The write side's limits for ids: a longer one was never written by it, and an indexed column
// (customer_id) refuses entries of a few KB.
const isId: Check = (value) => isPrintableText(value);
// Money and quantities are integers; past the safe range they would be stored wrong.
const isInteger: Check = (value) => Number.isSafeInteger(value);
// Array.from turns the holes of a sparse array into undefined, which then fails the check.
const isItems: Check = (value) =>
  Array.isArray(value) &&
  Array.from(value as unknown[]).every(
    (item) =>
      isRecord(item) && isId(item.sku) && isInteger(item.quantity) && isInteger(item.unitPrice),
  );

/** The fields the view copies out of each event's data, with what each must be. */
const DATA_FIELDS: Readonly<Record<OrderEventType, Readonly<Record<string, Check>>>> = {
  OrderPlaced: { customerId: isId, currency: isText, items: isItems, total: isInteger },
  OrderPaid: { amount: isInteger, paymentReference: isString },
  OrderShipped: { carrier: isString, trackingNumber: isString },
  OrderCancelled: { reason: isString },
};

/**
 * Why the event's data or timestamp cannot go into the view, if it cannot. The envelope decoder
 * checks only that data is an object, and a malformed document would break the read side's
 * clients or the timestamptz columns rather than this consumer.
 */
function problemIn(event: OrderEventEnvelope): string | undefined {
  if (typeof event.occurredAt !== 'string' || Number.isNaN(Date.parse(event.occurredAt))) {
    return `${event.type} has no valid occurredAt timestamp`;
  }
  const data: unknown = event.data;
  if (!isRecord(data)) return `${event.type} data is not an object`;
  const malformed = Object.entries(DATA_FIELDS[event.type])
    .filter(([field, check]) => !check(data[field]))
    .map(([field]) => field);
  return malformed.length === 0
    ? undefined
    : `${event.type} data has a missing or malformed ${malformed.join(', ')}`;
}

function cannotApply(type: OrderEventType, status: OrderViewStatus | 'NEW'): string {
  return `${type} cannot apply to an order in status ${status}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unapplicable(reason: string): ProjectionOutcome {
  return { kind: 'unapplicable', reason };
}
