import type { OrderItem, ShippingAddress } from './order.events';

// `now` is passed in rather than read from a clock so that decide stays a pure function; it
// becomes the occurredAt of the resulting event.

export interface PlaceOrder {
  readonly type: 'PlaceOrder';
  readonly orderId: string;
  readonly customerId: string;
  readonly currency: string;
  readonly items: readonly OrderItem[];
  readonly shippingAddress?: ShippingAddress;
  readonly now: Date;
}

export interface PayOrder {
  readonly type: 'PayOrder';
  readonly orderId: string;
  /** Minor units; must equal the order's total. */
  readonly amount: number;
  readonly paymentReference: string;
  readonly now: Date;
}

export interface ShipOrder {
  readonly type: 'ShipOrder';
  readonly orderId: string;
  readonly carrier: string;
  readonly trackingNumber: string;
  readonly now: Date;
}

export interface CancelOrder {
  readonly type: 'CancelOrder';
  readonly orderId: string;
  readonly reason: string;
  readonly now: Date;
}

export type OrderCommand = PlaceOrder | PayOrder | ShipOrder | CancelOrder;
