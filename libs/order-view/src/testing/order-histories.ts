import { randomInt, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { OrderEvent, OrderEventType, OrderItem, ShippingAddress } from '@app/order-domain';
import { latestSchemaVersion, type OrderEventEnvelope } from '@app/order-events';

/** The ways an order's life can go so far, each named after where it ends. */
export type OrderPath = 'placed' | 'paid' | 'shipped' | 'cancelled' | 'paid-cancelled';

export const ORDER_PATHS: readonly OrderPath[] = [
  'placed',
  'paid',
  'shipped',
  'cancelled',
  'paid-cancelled',
];

const STEPS: Readonly<Record<OrderPath, readonly OrderEventType[]>> = {
  placed: ['OrderPlaced'],
  paid: ['OrderPlaced', 'OrderPaid'],
  shipped: ['OrderPlaced', 'OrderPaid', 'OrderShipped'],
  cancelled: ['OrderPlaced', 'OrderCancelled'],
  'paid-cancelled': ['OrderPlaced', 'OrderPaid', 'OrderCancelled'],
};

const MAX_EVENTS = 3;

/** Everything a history is made of, so hand-made and generated histories are built alike. */
interface HistorySpec {
  orderId: string;
  path: OrderPath;
  startAt: Date;
  customerId: string;
  currency: string;
  items: OrderItem[];
  /** Absent on most generated orders, as on every order placed before OrderPlaced v2. */
  shippingAddress?: ShippingAddress;
  paymentReference: string;
  carrier: string;
  trackingNumber: string;
  reason: string;
  correlationId: string;
  /** At least MAX_EVENTS of each, distinct. */
  eventIds: string[];
  causationIds: string[];
}

type Fact<E = OrderEvent> = E extends OrderEvent ? Omit<E, 'occurredAt'> : never;

function buildHistory(spec: HistorySpec): OrderEventEnvelope[] {
  const total = spec.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
  const facts: { [Type in OrderEventType]: Fact & { type: Type } } = {
    OrderPlaced: {
      type: 'OrderPlaced',
      data: {
        customerId: spec.customerId,
        currency: spec.currency,
        items: spec.items,
        total,
        ...(spec.shippingAddress === undefined ? {} : { shippingAddress: spec.shippingAddress }),
      },
    },
    OrderPaid: {
      type: 'OrderPaid',
      data: { amount: total, paymentReference: spec.paymentReference },
    },
    OrderShipped: {
      type: 'OrderShipped',
      data: { carrier: spec.carrier, trackingNumber: spec.trackingNumber },
    },
    OrderCancelled: { type: 'OrderCancelled', data: { reason: spec.reason } },
  };
  return STEPS[spec.path].map((type, index) => ({
    ...facts[type],
    eventId: spec.eventIds[index],
    orderId: spec.orderId,
    version: index + 1,
    occurredAt: new Date(spec.startAt.getTime() + index).toISOString(),
    schemaVersion: latestSchemaVersion(type),
    metadata: { correlationId: spec.correlationId, causationId: spec.causationIds[index] },
  }));
}

const uuids = (): string[] => Array.from({ length: MAX_EVENTS }, () => randomUUID());

/**
 * A valid history of one order: versions 1..n, events 1 ms apart from `startAt` (default now),
 * plausible random data. For tests that need an order on the topic, not a particular one.
 */
export function orderHistory(
  orderId: string,
  path: OrderPath,
  options: { startAt?: Date; customerId?: string } = {},
): OrderEventEnvelope[] {
  return buildHistory({
    orderId,
    path,
    startAt: options.startAt ?? new Date(),
    customerId: options.customerId ?? `customer-${randomInt(1, 1_000)}`,
    currency: 'EUR',
    items: Array.from({ length: randomInt(1, 4) }, (_, line) => ({
      sku: `SKU-${line + 1}-${randomInt(100, 1_000)}`,
      quantity: randomInt(1, 6),
      unitPrice: randomInt(100, 10_000),
    })),
    paymentReference: `psp-${randomUUID()}`,
    carrier: 'DHL',
    trackingNumber: `JD${randomInt(100_000, 1_000_000)}`,
    reason: 'customer changed their mind',
    correlationId: randomUUID(),
    eventIds: uuids(),
    causationIds: uuids(),
  });
}

const textArbitrary = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '');

/** Within ORDER_LIMITS, so every generated order is one the command side could have accepted. */
const itemArbitrary: fc.Arbitrary<OrderItem> = fc.record(
  {
    sku: textArbitrary,
    quantity: fc.integer({ min: 1, max: 10_000 }),
    unitPrice: fc.integer({ min: 0, max: 1_000_000_000 }),
  },
  // Plain objects, like the JSON the events come from.
  { noNullPrototype: true },
);

const addressArbitrary: fc.Arbitrary<ShippingAddress> = fc.record(
  {
    recipient: textArbitrary,
    line1: textArbitrary,
    line2: textArbitrary,
    postalCode: fc.stringMatching(/^[0-9A-Z]{3,10}$/),
    city: textArbitrary,
    country: fc.stringMatching(/^[A-Z]{2}$/),
  },
  { requiredKeys: ['recipient', 'line1', 'postalCode', 'city', 'country'], noNullPrototype: true },
);

const idsArbitrary = fc.uniqueArray(fc.uuid(), { minLength: MAX_EVENTS, maxLength: MAX_EVENTS });

/** Valid histories of one order (a random id unless given) along a random path. */
export function orderHistoryArbitrary(orderId?: string): fc.Arbitrary<OrderEventEnvelope[]> {
  return fc
    .record({
      orderId: orderId === undefined ? fc.uuid() : fc.constant(orderId),
      path: fc.constantFrom(...ORDER_PATHS),
      startAt: fc.date({
        min: new Date('2000-01-01T00:00:00.000Z'),
        max: new Date('2099-12-31T00:00:00.000Z'),
        noInvalidDate: true,
      }),
      customerId: textArbitrary,
      currency: fc.stringMatching(/^[A-Z]{3}$/),
      items: fc.array(itemArbitrary, { minLength: 1, maxLength: 3 }),
      shippingAddress: fc.option(addressArbitrary, { nil: undefined }),
      paymentReference: fc.string(),
      carrier: fc.string(),
      trackingNumber: fc.string(),
      reason: fc.string(),
      correlationId: fc.uuid(),
      eventIds: idsArbitrary,
      causationIds: idsArbitrary,
    })
    .map(buildHistory);
}

/** Histories of 1 to maxOrders distinct orders. */
export function orderHistoriesArbitrary(maxOrders = 4): fc.Arbitrary<OrderEventEnvelope[][]> {
  return fc
    .uniqueArray(fc.uuid(), { minLength: 1, maxLength: maxOrders })
    .chain((orderIds) => fc.tuple(...orderIds.map((orderId) => orderHistoryArbitrary(orderId))));
}

/**
 * The events of several orders as a consumer may receive them: merged at random but each order's
 * own events in order (one partition per key), with redeliveries of already delivered events
 * injected anywhere after their first delivery (at-least-once).
 */
export function deliveriesArbitrary(
  histories: readonly (readonly OrderEventEnvelope[])[],
): fc.Arbitrary<OrderEventEnvelope[]> {
  const slots = histories.flatMap((history, order) => history.map(() => order));
  return fc
    .tuple(
      fc.shuffledSubarray(slots, { minLength: slots.length, maxLength: slots.length }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 10 }),
    )
    .map(([orderOfSlot, redeliveries]) => {
      const delivered = histories.map(() => 0);
      const merged = orderOfSlot.map((order) => histories[order][delivered[order]++]);
      for (const [at, pick] of redeliveries) {
        const position = at % (merged.length + 1);
        if (position > 0) merged.splice(position, 0, merged[pick % position]);
      }
      return merged;
    });
}
