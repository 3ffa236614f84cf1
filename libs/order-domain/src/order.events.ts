/** One line of an order. Money is an integer in minor units of the order's currency. */
export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

/** Where an order is to be delivered; given when the order is placed (OrderPlaced v2). */
export interface ShippingAddress {
  readonly recipient: string;
  readonly line1: string;
  readonly line2?: string;
  readonly postalCode: string;
  readonly city: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
}

/**
 * A fact about one order as the domain records it. The event store wraps it in the envelope
 * (eventId, orderId, version, metadata), so none of that belongs here.
 */
export interface OrderEventOf<Type extends string, Data> {
  readonly type: Type;
  readonly data: Data;
  /** ISO 8601 in UTC. */
  readonly occurredAt: string;
}

export type OrderPlaced = OrderEventOf<
  'OrderPlaced',
  {
    readonly customerId: string;
    readonly currency: string;
    readonly items: readonly OrderItem[];
    /** Σ quantity × unitPrice, in minor units. */
    readonly total: number;
    /** Absent on orders placed without one, and on every order placed before v2. */
    readonly shippingAddress?: ShippingAddress;
  }
>;

export type OrderPaid = OrderEventOf<
  'OrderPaid',
  { readonly amount: number; readonly paymentReference: string }
>;

export type OrderShipped = OrderEventOf<
  'OrderShipped',
  { readonly carrier: string; readonly trackingNumber: string }
>;

export type OrderCancelled = OrderEventOf<'OrderCancelled', { readonly reason: string }>;

export type OrderEvent = OrderPlaced | OrderPaid | OrderShipped | OrderCancelled;

export type OrderEventType = OrderEvent['type'];
