import { InvalidOrderHistoryError } from './order.errors';
import type {
  OrderCancelled,
  OrderEvent,
  OrderItem,
  OrderPaid,
  OrderShipped,
  ShippingAddress,
} from './order.events';

/** What an order is once placed; every later state keeps it. */
export interface OrderDetails {
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly OrderItem[];
  readonly total: number;
  readonly shippingAddress?: ShippingAddress;
}

/** No events yet: the order does not exist. */
export interface NewOrder {
  readonly status: 'NEW';
}

export interface PlacedOrder extends OrderDetails {
  readonly status: 'PLACED';
}

export interface PaidOrder extends OrderDetails {
  readonly status: 'PAID';
  readonly payment: OrderPaid['data'];
}

export interface ShippedOrder extends OrderDetails {
  readonly status: 'SHIPPED';
  readonly payment: OrderPaid['data'];
  readonly shipment: OrderShipped['data'];
}

export interface CancelledOrder extends OrderDetails {
  readonly status: 'CANCELLED';
  /** Present when the order was paid before it was cancelled, i.e. money is owed back. */
  readonly payment?: OrderPaid['data'];
  readonly cancellation: OrderCancelled['data'];
}

export type OrderState = NewOrder | PlacedOrder | PaidOrder | ShippedOrder | CancelledOrder;

export type OrderStatus = OrderState['status'];

export const initialOrderState: NewOrder = Object.freeze({ status: 'NEW' });

/**
 * Applies one recorded event. Events are facts, so evolve does not re-check business rules, but
 * it refuses a transition that decide could never have produced: folding a corrupt stream into
 * a plausible state would let later commands build on it.
 */
export function evolve(state: OrderState, event: OrderEvent): OrderState {
  switch (event.type) {
    case 'OrderPlaced': {
      if (state.status !== 'NEW') throw new InvalidOrderHistoryError(event.type, state.status);
      const { customerId, currency, items, total, shippingAddress } = event.data;
      // Absent rather than undefined, so states compare and serialise alike.
      const placed: PlacedOrder = { status: 'PLACED', customerId, currency, items, total };
      return shippingAddress === undefined ? placed : { ...placed, shippingAddress };
    }
    case 'OrderPaid':
      if (state.status !== 'PLACED') throw new InvalidOrderHistoryError(event.type, state.status);
      return { ...state, status: 'PAID', payment: event.data };
    case 'OrderShipped':
      if (state.status !== 'PAID') throw new InvalidOrderHistoryError(event.type, state.status);
      return { ...state, status: 'SHIPPED', shipment: event.data };
    case 'OrderCancelled':
      if (state.status !== 'PLACED' && state.status !== 'PAID') {
        throw new InvalidOrderHistoryError(event.type, state.status);
      }
      return { ...state, status: 'CANCELLED', cancellation: event.data };
    default: {
      // Reachable at run time when the store holds a type this version does not know.
      const unknown: never = event;
      const type = (unknown as { type?: unknown }).type;
      throw new InvalidOrderHistoryError(String(type), state.status, 'is not an order event type');
    }
  }
}

/** The current state of an order from its whole history, oldest event first. */
export function foldOrder(events: readonly OrderEvent[]): OrderState {
  return events.reduce<OrderState>((state, event) => evolve(state, event), initialOrderState);
}
