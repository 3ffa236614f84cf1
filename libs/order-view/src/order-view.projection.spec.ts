import { evolve, initialOrderState, type OrderEventType, type OrderState } from '@app/order-domain';
import type { OrderEventEnvelope } from '@app/order-events';
import type { OrderView } from './order-view';
import { foldOrderView, projectOrderEvent, skipOrderEvent } from './order-view.projection';
import { orderHistory, type OrderPath } from '../../../test/fixtures/order-histories';

const startAt = new Date('2026-11-23T10:00:00.000Z');
const at = (ms: number): string => new Date(startAt.getTime() + ms).toISOString();

function history(path: OrderPath): OrderEventEnvelope[] {
  return orderHistory('order-1', path, { startAt, customerId: 'customer-7' });
}

/** The view after the whole history, which must apply event by event. */
function viewOf(events: readonly OrderEventEnvelope[]): OrderView {
  const view = foldOrderView(events);
  if (view === undefined) throw new Error('the history is empty');
  return view;
}

/** An event that may not type-check, as a broken or future producer could publish it. */
function malformed(
  event: OrderEventEnvelope,
  changes: Record<string, unknown>,
): OrderEventEnvelope {
  const tampered: unknown = { ...event, ...changes };
  return tampered as OrderEventEnvelope;
}

describe('projectOrderEvent', () => {
  describe('given no view, when the OrderPlaced of version 1', () => {
    it('then the view of a PLACED order, without the absent optional fields', () => {
      const [placed] = history('placed');
      const outcome = projectOrderEvent(undefined, placed);

      expect(outcome).toStrictEqual({
        kind: 'applied',
        event: placed,
        view: {
          orderId: 'order-1',
          customerId: 'customer-7',
          status: 'PLACED',
          currency: 'EUR',
          items: placed.type === 'OrderPlaced' ? placed.data.items : [],
          total: placed.type === 'OrderPlaced' ? placed.data.total : -1,
          version: 1,
          placedAt: at(0),
          updatedAt: at(0),
        },
      });
    });
  });

  it.each<[OrderPath, Partial<OrderView>]>([
    ['paid', { status: 'PAID', version: 2, paidAt: at(1), updatedAt: at(1) }],
    ['shipped', { status: 'SHIPPED', version: 3, paidAt: at(1), shippedAt: at(2) }],
    ['cancelled', { status: 'CANCELLED', version: 2, cancelledAt: at(1) }],
    ['paid-cancelled', { status: 'CANCELLED', version: 3, paidAt: at(1), cancelledAt: at(2) }],
  ])('given the %s history, the view has its status, timestamps and details', (path, expected) => {
    const events = history(path);
    const view = viewOf(events);
    const placed = events[0];
    if (placed.type !== 'OrderPlaced') throw new Error('a history starts with OrderPlaced');

    expect(view).toMatchObject({ ...expected, placedAt: at(0), updatedAt: at(events.length - 1) });
    expect(view.total).toBe(placed.data.total);
    for (const event of events) {
      if (event.type === 'OrderPaid') expect(view.payment).toStrictEqual(event.data);
      if (event.type === 'OrderShipped') expect(view.shipment).toStrictEqual(event.data);
      if (event.type === 'OrderCancelled') expect(view.cancellation).toStrictEqual(event.data);
    }
    expect(JSON.parse(JSON.stringify(view))).toStrictEqual(view);
  });

  it('keeps the payment of a paid order that is then cancelled', () => {
    const events = history('paid-cancelled');
    const view = viewOf(events);

    expect(view.status).toBe('CANCELLED');
    expect(view.payment).toStrictEqual(events[1].data);
    expect(view.paidAt).toBe(at(1));
  });

  it('copies only the known fields of the data into the view', () => {
    const [placed, paid] = history('paid');
    if (placed.type !== 'OrderPlaced') throw new Error('a history starts with OrderPlaced');
    const withExtras = malformed(placed, {
      data: {
        ...placed.data,
        loyaltyPoints: 12,
        items: placed.data.items.map((item) => ({ ...item, giftWrap: true })),
      },
    });
    const view = viewOf([withExtras, malformed(paid, { data: { ...paid.data, fee: 3 } })]);

    expect(view).toStrictEqual(viewOf([placed, paid]));
  });

  describe('schema versions', () => {
    const address = {
      recipient: 'Ada Lovelace',
      line1: 'Unter den Linden 1',
      postalCode: '10117',
      city: 'Berlin',
      country: 'DE',
    };
    const [placed, paid] = history('paid');
    if (placed.type !== 'OrderPlaced') throw new Error('a history starts with OrderPlaced');

    it('reads an OrderPlaced written as v1 as the same order in v2', () => {
      const v1 = { ...placed, schemaVersion: 1 };

      expect(viewOf([v1, paid])).toStrictEqual(viewOf([placed, paid]));
    });

    it('shows the shipping address of an OrderPlaced v2, its known fields only', () => {
      const data = { ...placed.data, shippingAddress: { ...address, doorCode: '1234' } };
      const view = viewOf([malformed(placed, { data })]);

      expect(view.shippingAddress).toStrictEqual(address);
      expect(
        viewOf([
          { ...placed, data: { ...placed.data, shippingAddress: { ...address, line2: 'Flat 3' } } },
        ]).shippingAddress,
      ).toStrictEqual({ ...address, line2: 'Flat 3' });
    });

    it('ignores a shipping address in a v1 event: v1 had none, so nothing checked it', () => {
      const v1 = malformed(placed, {
        schemaVersion: 1,
        data: { ...placed.data, shippingAddress: { city: 42 } },
      });

      expect(viewOf([v1]).shippingAddress).toBeUndefined();
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'a schema version newer than this reader knows',
        { schemaVersion: 3 },
        'unknown schemaVersion 3 of OrderPlaced: this reader knows 1 to 2',
      ],
      [
        'schema version 0',
        { schemaVersion: 0 },
        'unknown schemaVersion 0 of OrderPlaced: this reader knows 1 to 2',
      ],
      [
        'a v2 shipping address with a lower-case country',
        { data: { ...placed.data, shippingAddress: { ...address, country: 'de' } } },
        'OrderPlaced data has a missing or malformed shippingAddress',
      ],
    ])('parks %s', (_case, changes, reason) => {
      expect(projectOrderEvent(undefined, malformed(placed, changes))).toStrictEqual({
        kind: 'unapplicable',
        reason,
      });
    });
  });

  describe('duplicates', () => {
    it.each([1, 2])('skips version %i once the view is at version 2', (version) => {
      const events = history('paid');
      const outcome = projectOrderEvent(viewOf(events), { ...events[version - 1] });

      expect(outcome).toStrictEqual({ kind: 'duplicate' });
    });

    it('checks for a duplicate before anything else, so an old unknown event is not parked', () => {
      const view = viewOf(history('paid'));
      const old = malformed(history('paid')[1], { type: 'OrderRefunded', orderId: 'order-9' });

      expect(projectOrderEvent(view, old)).toStrictEqual({ kind: 'duplicate' });
    });
  });

  describe('unapplicable events', () => {
    const placedView = viewOf(history('placed'));
    const [placed, paid, shipped] = history('shipped');

    it.each<[string, OrderView | undefined, OrderEventEnvelope, string]>([
      ['a version gap', placedView, shipped, 'version gap: expected 2, got 3'],
      ['no view and not version 1', undefined, paid, 'version gap: expected 1, got 2'],
      [
        'no view and a version 1 that is not OrderPlaced',
        undefined,
        { ...paid, version: 1 },
        'OrderPaid cannot apply to an order in status NEW',
      ],
      [
        'an unknown type',
        placedView,
        malformed(paid, { type: 'OrderRefunded' }),
        'unknown event type OrderRefunded',
      ],
      [
        'OrderPlaced on a placed order',
        placedView,
        { ...placed, version: 2 },
        'OrderPlaced cannot apply to an order in status PLACED',
      ],
      [
        'OrderShipped before OrderPaid',
        placedView,
        { ...shipped, version: 2 },
        'OrderShipped cannot apply to an order in status PLACED',
      ],
      [
        "another order's event",
        placedView,
        { ...paid, orderId: 'order-2' },
        'the event is of order order-2, the view of order-1',
      ],
      [
        'a version that is not an integer',
        undefined,
        { ...placed, version: 1.5 },
        'version must be a positive integer',
      ],
      [
        'OrderPlaced without an items array',
        undefined,
        malformed(placed, { data: { ...placed.data, items: 'SKU-1' } }),
        'OrderPlaced data has a missing or malformed items',
      ],
      [
        'OrderPlaced with an item of fractional quantity',
        undefined,
        malformed(placed, {
          data: { ...placed.data, items: [{ sku: 'SKU-1', quantity: 1.5, unitPrice: 100 }] },
        }),
        'OrderPlaced data has a missing or malformed items',
      ],
      [
        'OrderPlaced with a fractional total and a numeric customer id',
        undefined,
        malformed(placed, { data: { ...placed.data, total: 10.5, customerId: 7 } }),
        'OrderPlaced data has a missing or malformed customerId, total',
      ],
      [
        // A customer_id index entry of a few KB is refused by PostgreSQL: parked, never stored.
        'OrderPlaced with a 3 KB customer id',
        undefined,
        malformed(placed, { data: { ...placed.data, customerId: 'c'.repeat(3_000) } }),
        'OrderPlaced data has a missing or malformed customerId',
      ],
      [
        'OrderPlaced with no orderId',
        undefined,
        malformed(placed, { orderId: '' }),
        'orderId must be a non-empty string',
      ],
      [
        'OrderPaid with an amount as a string',
        placedView,
        malformed(paid, { data: { ...paid.data, amount: '3000' } }),
        'OrderPaid data has a missing or malformed amount',
      ],
      [
        'OrderPaid with null data',
        placedView,
        malformed(paid, { data: null }),
        'OrderPaid data is not an object',
      ],
      [
        'OrderPaid with an invalid occurredAt',
        placedView,
        malformed(paid, { occurredAt: 'yesterday' }),
        'OrderPaid has no valid occurredAt timestamp',
      ],
    ])('parks %s', (_case, view, event, reason) => {
      expect(projectOrderEvent(view, event)).toStrictEqual({ kind: 'unapplicable', reason });
    });
  });

  // The view must accept exactly the transitions the domain's evolve accepts.
  describe.each<[OrderState['status'], OrderEventEnvelope[]]>([
    ['NEW', []],
    ['PLACED', history('placed')],
    ['PAID', history('paid')],
    ['SHIPPED', history('shipped')],
    ['CANCELLED', history('cancelled')],
  ])('given an order in status %s', (status, events) => {
    const state = events.reduce<OrderState>(evolve, initialOrderState);
    const view = foldOrderView(events);
    const samples = history('shipped').concat(history('cancelled'));

    it.each<OrderEventType>(['OrderPlaced', 'OrderPaid', 'OrderShipped', 'OrderCancelled'])(
      'applies %s exactly when evolve does',
      (type) => {
        const sample = samples.find((event) => event.type === type)!;
        const event = { ...sample, version: events.length + 1 };
        const evolves = ((): boolean => {
          try {
            evolve(state, event);
            return true;
          } catch {
            return false;
          }
        })();

        expect(state.status).toBe(status);
        expect(projectOrderEvent(view, event).kind).toBe(evolves ? 'applied' : 'unapplicable');
      },
    );
  });
});

describe('skipOrderEvent', () => {
  it('lets an order blocked by a gap resume: the view takes the version of the skipped event', () => {
    const [placed, paid] = history('paid');
    const view = viewOf([placed]);
    const afterGap = { ...paid, version: 4 };
    const next = { ...paid, version: 5 };
    expect(projectOrderEvent(view, afterGap).kind).toBe('unapplicable');

    const skipped = skipOrderEvent(view, afterGap);

    expect(skipped).toStrictEqual({ ...view, version: 4 });
    expect(projectOrderEvent(skipped, next)).toStrictEqual({
      kind: 'applied',
      view: { ...viewOf([placed, paid]), version: 5 },
      event: next,
    });
  });

  it('never moves the version back, which would let applied events apply twice', () => {
    const events = history('paid');
    const view = viewOf(events);

    expect(skipOrderEvent(view, events[0])).toStrictEqual(view);
  });
});

describe('foldOrderView', () => {
  it('is undefined for no events and ignores redeliveries', () => {
    const events = history('shipped');

    expect(foldOrderView([])).toBeUndefined();
    expect(
      foldOrderView([events[0], events[0], events[1], events[0], events[2], events[1]]),
    ).toEqual(foldOrderView(events));
  });

  it('throws on an unapplicable event, naming it and why', () => {
    const [placed, , shipped] = history('shipped');

    expect(() => foldOrderView([placed, shipped])).toThrow(
      `Event ${shipped.eventId} (version 3) of order order-1 is unapplicable: version gap: expected 2, got 3`,
    );
  });
});
