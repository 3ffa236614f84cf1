import type { CancelOrder, PayOrder, PlaceOrder, ShipOrder } from '../order.commands';
import type {
  OrderCancelled,
  OrderItem,
  OrderPaid,
  OrderPlaced,
  OrderShipped,
  ShippingAddress,
} from '../order.events';

// One consistent order for tests: each command, decided on the right state, yields the event
// of the same name below.

export const orderId = 'order-1';
export const now = new Date('2025-03-01T10:00:00.000Z');
export const occurredAt = now.toISOString();

export const items: OrderItem[] = [
  { sku: 'SKU-BOOK', quantity: 2, unitPrice: 1_250 },
  { sku: 'SKU-PEN', quantity: 3, unitPrice: 199 },
];
export const shippingAddress: ShippingAddress = {
  recipient: 'Ada Lovelace',
  line1: 'Unter den Linden 1',
  line2: '3rd floor',
  postalCode: '10117',
  city: 'Berlin',
  country: 'DE',
};

/** 2 × 1250 + 3 × 199 */
export const total = 3_097;

export function placeOrder(overrides: Partial<PlaceOrder> = {}): PlaceOrder {
  return {
    type: 'PlaceOrder',
    orderId,
    customerId: 'customer-7',
    currency: 'EUR',
    items,
    now,
    ...overrides,
  };
}

export function payOrder(overrides: Partial<PayOrder> = {}): PayOrder {
  return {
    type: 'PayOrder',
    orderId,
    amount: total,
    paymentReference: 'psp-123',
    now,
    ...overrides,
  };
}

export function shipOrder(overrides: Partial<ShipOrder> = {}): ShipOrder {
  return {
    type: 'ShipOrder',
    orderId,
    carrier: 'DHL',
    trackingNumber: 'JD0142',
    now,
    ...overrides,
  };
}

export function cancelOrder(overrides: Partial<CancelOrder> = {}): CancelOrder {
  return { type: 'CancelOrder', orderId, reason: 'customer changed their mind', now, ...overrides };
}

export const orderPlaced: OrderPlaced = {
  type: 'OrderPlaced',
  data: { customerId: 'customer-7', currency: 'EUR', items, total },
  occurredAt,
};

export const orderPaid: OrderPaid = {
  type: 'OrderPaid',
  data: { amount: total, paymentReference: 'psp-123' },
  occurredAt,
};

export const orderShipped: OrderShipped = {
  type: 'OrderShipped',
  data: { carrier: 'DHL', trackingNumber: 'JD0142' },
  occurredAt,
};

export const orderCancelled: OrderCancelled = {
  type: 'OrderCancelled',
  data: { reason: 'customer changed their mind' },
  occurredAt,
};

/** A history for each state an order can be in. */
export const histories = {
  NEW: [],
  PLACED: [orderPlaced],
  PAID: [orderPlaced, orderPaid],
  SHIPPED: [orderPlaced, orderPaid, orderShipped],
  CANCELLED: [orderPlaced, orderCancelled],
  CANCELLED_AFTER_PAYMENT: [orderPlaced, orderPaid, orderCancelled],
} as const;
