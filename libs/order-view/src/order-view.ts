import type { OrderItem, ShippingAddress } from '@app/order-domain';
import type { OrderEventEnvelope } from '@app/order-events';

/** The statuses the view shows, for readers that validate or document them. */
export const ORDER_VIEW_STATUSES = ['PLACED', 'PAID', 'SHIPPED', 'CANCELLED'] as const;
export type OrderViewStatus = (typeof ORDER_VIEW_STATUSES)[number];

/**
 * One order as the read side serves it (the body of GET /orders/:id) and stores it as json.
 * Optional fields are absent rather than undefined, so the document survives a JSON round trip
 * unchanged.
 */
export interface OrderView {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderViewStatus;
  readonly currency: string;
  readonly items: readonly OrderItem[];
  /** Σ quantity × unitPrice, in minor units. */
  readonly total: number;
  /** As given when the order was placed; absent when none was (and on orders placed before v2). */
  readonly shippingAddress?: ShippingAddress;
  /** The version of the last event applied, or skipped by an operator. */
  readonly version: number;
  /** ISO 8601: when the order was placed (the OrderPlaced event's occurredAt). */
  readonly placedAt: string;
  readonly paidAt?: string;
  readonly shippedAt?: string;
  readonly cancelledAt?: string;
  /** Kept when a paid order is cancelled: the money is owed back. */
  readonly payment?: { readonly amount: number; readonly paymentReference: string };
  readonly shipment?: { readonly carrier: string; readonly trackingNumber: string };
  readonly cancellation?: { readonly reason: string };
  /** ISO 8601: the occurredAt of the last event applied. */
  readonly updatedAt: string;
}

/**
 * What to do with one consumed event. `applied`: the view after it, and the event as read (its
 * data upcast to the newest schema version), which the order's history keeps. `duplicate`:
 * already applied (a redelivery), skip it. `unapplicable`: it cannot be applied now or ever
 * without an operator, so park it.
 */
export type ProjectionOutcome =
  | { readonly kind: 'applied'; readonly view: OrderView; readonly event: OrderEventEnvelope }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'unapplicable'; readonly reason: string };
