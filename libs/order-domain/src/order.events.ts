/** One line of an order. Money is an integer in minor units of the order's currency. */
export interface OrderItem {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
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
