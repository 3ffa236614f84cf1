import fc from 'fast-check';
import { foldOrder } from '@app/order-domain';
import { latestSchemaVersion, type OrderEventEnvelope } from '@app/order-events';
import {
  ORDER_PATHS,
  deliveriesArbitrary,
  orderHistoriesArbitrary,
  orderHistory,
  orderHistoryArbitrary,
} from './order-histories';

/** What every history handed to a test must be, so a failing test points at the code, not here. */
function expectValidHistory(events: readonly OrderEventEnvelope[]): void {
  const [placed] = events;
  if (placed.type !== 'OrderPlaced') throw new Error(`a history starts with ${placed.type}`);
  const { items, total } = placed.data;
  const start = Date.parse(placed.occurredAt);

  expect(() => foldOrder(events)).not.toThrow();
  expect(events.map((event) => event.version)).toEqual(events.map((_, index) => index + 1));
  expect(events.map((event) => Date.parse(event.occurredAt) - start)).toEqual(
    events.map((_, index) => index),
  );
  expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
  expect(new Set(events.map((event) => event.orderId)).size).toBe(1);
  expect(events.every((event) => event.schemaVersion === latestSchemaVersion(event.type))).toBe(
    true,
  );
  expect(items.length).toBeGreaterThanOrEqual(1);
  expect(items.length).toBeLessThanOrEqual(3);
  expect(total).toBe(items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0));
  for (const event of events) {
    if (event.type === 'OrderPaid') expect(event.data.amount).toBe(total);
  }
}

describe('orderHistory', () => {
  it.each(ORDER_PATHS)('builds a valid %s history', (path) => {
    const startAt = new Date('2026-11-23T10:00:00.000Z');
    const events = orderHistory('order-1', path, { startAt, customerId: 'customer-7' });

    expectValidHistory(events);
    expect(foldOrder(events).status).toBe(
      path === 'paid-cancelled' ? 'CANCELLED' : path.toUpperCase(),
    );
    expect(events[0]).toMatchObject({
      orderId: 'order-1',
      occurredAt: startAt.toISOString(),
      data: { customerId: 'customer-7' },
    });
  });
});

describe('orderHistoryArbitrary', () => {
  it('generates valid histories', () => {
    fc.assert(fc.property(orderHistoryArbitrary(), expectValidHistory));
  });
});

describe('deliveriesArbitrary', () => {
  it("keeps each order's events in order and redelivers only what was delivered", () => {
    const deliveries = orderHistoriesArbitrary().chain((histories) =>
      fc.tuple(fc.constant(histories), deliveriesArbitrary(histories)),
    );
    let redelivered = 0;
    fc.assert(
      fc.property(deliveries, ([histories, delivered]) => {
        const seen = new Set<string>();
        const firsts = delivered.filter((event) => {
          if (seen.has(event.eventId)) return false;
          seen.add(event.eventId);
          return true;
        });
        redelivered += delivered.length - firsts.length;

        for (const events of histories) {
          const orderId = events[0].orderId;
          expect(firsts.filter((event) => event.orderId === orderId)).toEqual(events);
        }
        expect(firsts).toHaveLength(histories.flat().length);
      }),
    );

    // Otherwise the projection's redelivery property would test nothing.
    expect(redelivered).toBeGreaterThan(0);
  });
});
