import fc from 'fast-check';
import { evolve, initialOrderState, type OrderEventType, type OrderState } from '@app/order-domain';
import { isKnownOrderEventType, type OrderEventEnvelope } from '@app/order-events';
import type { OrderView, ProjectionOutcome } from './order-view';
import { foldOrderView, projectOrderEvent, skipOrderEvent } from './order-view.projection';
import {
  deliveriesArbitrary,
  orderHistoriesArbitrary,
  orderHistoryArbitrary,
} from '../../../test/fixtures/order-histories';

/**
 * The view the read side should serve after a valid history, computed apart from the projection:
 * the order itself from the domain's own evolve, the timestamps and version from the envelopes.
 */
function expectedView(events: readonly OrderEventEnvelope[]): OrderView {
  const state = events.reduce<OrderState>(evolve, initialOrderState);
  if (state.status === 'NEW') throw new Error('an empty history has no view');
  const occurredAt = (type: OrderEventType) => events.find((e) => e.type === type)?.occurredAt;
  const last = events[events.length - 1];
  const view = {
    orderId: events[0].orderId,
    customerId: state.customerId,
    status: state.status,
    currency: state.currency,
    items: state.items,
    total: state.total,
    shippingAddress: state.shippingAddress,
    version: last.version,
    placedAt: occurredAt('OrderPlaced'),
    paidAt: occurredAt('OrderPaid'),
    shippedAt: occurredAt('OrderShipped'),
    cancelledAt: occurredAt('OrderCancelled'),
    payment: 'payment' in state ? state.payment : undefined,
    shipment: 'shipment' in state ? state.shipment : undefined,
    cancellation: 'cancellation' in state ? state.cancellation : undefined,
    updatedAt: last.occurredAt,
  };
  // The view leaves out what is not set; toStrictEqual tells an absent key from an undefined one.
  return Object.fromEntries(
    Object.entries(view).filter(([, value]) => value !== undefined),
  ) as unknown as OrderView;
}

/** Projects the events one by one, as the projector does, keeping every outcome. */
function project(
  view: OrderView | undefined,
  events: readonly OrderEventEnvelope[],
): { view: OrderView | undefined; outcomes: ProjectionOutcome[] } {
  const outcomes = events.map((event) => {
    const outcome = projectOrderEvent(view, event);
    if (outcome.kind === 'applied') view = outcome.view;
    return outcome;
  });
  return { view, outcomes };
}

/** A history and an index into it, from `min` to its length minus `fromEnd`. */
function historyAndIndex(min: number, fromEnd: number) {
  return orderHistoryArbitrary()
    .filter((events) => events.length - fromEnd >= min)
    .chain((events) =>
      fc.tuple(fc.constant(events), fc.integer({ min, max: events.length - fromEnd })),
    );
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Reflect.ownKeys(value)) {
      deepFreeze((value as Record<PropertyKey, unknown>)[key]);
    }
  }
  return value;
}

const VIEW_KEYS = new Set(
  'orderId customerId status currency items total shippingAddress version placedAt paidAt shippedAt cancelledAt payment shipment cancellation updatedAt'.split(
    ' ',
  ),
);

const isString = (value: unknown): value is string => typeof value === 'string';
const isTimestamp = (value: unknown) => isString(value) && !Number.isNaN(Date.parse(value));

/** What a client of GET /orders/:id may rely on, whatever events were consumed. */
function expectServable(view: OrderView): void {
  expect(JSON.parse(JSON.stringify(view))).toStrictEqual(view);
  expect(Object.keys(view).filter((key) => !VIEW_KEYS.has(key))).toEqual([]);
  const { items, payment, shipment, cancellation } = view;
  const fields: [string, unknown, (value: unknown) => boolean][] = [
    ['orderId', view.orderId, isString],
    ['customerId', view.customerId, isString],
    ['currency', view.currency, isString],
    ['total', view.total, Number.isSafeInteger],
    ['version', view.version, Number.isSafeInteger],
    ['placedAt', view.placedAt, isTimestamp],
    ['updatedAt', view.updatedAt, isTimestamp],
    ...items.flatMap((item, line): [string, unknown, (value: unknown) => boolean][] => [
      [`items[${line}].sku`, item.sku, isString],
      [`items[${line}].quantity`, item.quantity, Number.isSafeInteger],
      [`items[${line}].unitPrice`, item.unitPrice, Number.isSafeInteger],
    ]),
  ];
  expect(fields.filter(([, value, check]) => !check(value)).map(([field]) => field)).toEqual([]);
  expect(['PLACED', 'PAID', 'SHIPPED', 'CANCELLED']).toContain(view.status);
  expect(items.map((item) => Object.keys(item).sort())).toEqual(
    items.map(() => ['quantity', 'sku', 'unitPrice']),
  );
  if (payment) {
    expect(payment).toStrictEqual({
      amount: expect.any(Number),
      paymentReference: expect.any(String),
    });
    expect(Number.isSafeInteger(payment.amount)).toBe(true);
  }
  if (shipment) {
    expect(shipment).toStrictEqual({
      carrier: expect.any(String),
      trackingNumber: expect.any(String),
    });
  }
  if (cancellation) expect(cancellation).toStrictEqual({ reason: expect.any(String) });
  if (view.shippingAddress) {
    const { line2, ...required } = view.shippingAddress;
    expect(required).toStrictEqual({
      recipient: expect.any(String),
      line1: expect.any(String),
      postalCode: expect.any(String),
      city: expect.any(String),
      country: expect.any(String),
    });
    if ('line2' in view.shippingAddress) expect(line2).toEqual(expect.any(String));
  }
}

const DATA_FIELDS = [
  'customerId',
  'currency',
  'items',
  'total',
  'shippingAddress',
  'amount',
  'paymentReference',
  'carrier',
  'trackingNumber',
  'reason',
];
const EVENT_TYPES = ['OrderPlaced', 'OrderPaid', 'OrderShipped', 'OrderCancelled'];
const anything = fc.anything({
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withNullPrototype: true,
  withSet: true,
  withSparseArray: true,
});

/** Mostly the original value, as most tampering must leave the event applicable to test much. */
function orAnyOf<T>(original: T, ...others: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: fc.constant(original), weight: others.length * 2 }, ...others);
}

/**
 * The view before event `index` of a valid history, and that event tampered with: another type,
 * version, order or timestamp, data that is anything at all, the right data with some fields
 * replaced by anything, or the right data with unknown fields added.
 */
const tamperedArbitrary = historyAndIndex(0, 1).chain(([events, index]) => {
  const event = events[index];
  return fc
    .record({
      type: orAnyOf(event.type, fc.constantFrom(...EVENT_TYPES), fc.string()),
      version: orAnyOf(event.version, fc.integer({ min: -1, max: 5 }), fc.double()),
      // Versions the reader does not know must park like unknown types, never crash.
      schemaVersion: orAnyOf(event.schemaVersion, fc.integer({ min: -1, max: 4 }), anything),
      orderId: orAnyOf(event.orderId, fc.string()),
      occurredAt: orAnyOf(
        event.occurredAt,
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
        anything,
      ),
      data: orAnyOf(
        event.data,
        anything,
        fc
          .dictionary(fc.constantFrom(...DATA_FIELDS), anything, { minKeys: 1 })
          .map((fields) => ({ ...event.data, ...fields })),
        fc
          .dictionary(fc.string(), anything, { minKeys: 1 })
          .map((extra) => ({ ...extra, ...event.data })),
      ),
    })
    .map((changes) => ({
      view: foldOrderView(events.slice(0, index)),
      event: { ...event, ...changes } as unknown as OrderEventEnvelope,
    }));
});

describe('projectOrderEvent, properties', () => {
  it('projects a valid history into the view the domain describes', () => {
    fc.assert(
      fc.property(orderHistoryArbitrary(), (events) => {
        const { view, outcomes } = project(undefined, events);

        expect(outcomes.map((outcome) => outcome.kind)).toEqual(events.map(() => 'applied'));
        expect(view).toStrictEqual(expectedView(events));
        expectServable(view!);
      }),
    );
  });

  it('changes nothing when a prefix of the history is delivered twice', () => {
    fc.assert(
      fc.property(historyAndIndex(0, 0), ([events, k]) => {
        const prefix = events.slice(0, k);
        const { view, outcomes } = project(undefined, [...prefix, ...prefix, ...events.slice(k)]);

        expect(outcomes.map((outcome) => outcome.kind)).toEqual([
          ...prefix.map(() => 'applied'),
          ...prefix.map(() => 'duplicate'),
          ...events.slice(k).map(() => 'applied'),
        ]);
        expect(view).toStrictEqual(project(undefined, events).view);
      }),
    );
  });

  it('keeps each order right when orders are interleaved and events redelivered', () => {
    const deliveries = orderHistoriesArbitrary().chain((histories) =>
      fc.tuple(fc.constant(histories), deliveriesArbitrary(histories)),
    );
    fc.assert(
      fc.property(deliveries, ([histories, delivered]) => {
        const views = new Map<string, OrderView>();
        const seen = new Set<string>();
        for (const event of delivered) {
          const outcome = projectOrderEvent(views.get(event.orderId), event);
          expect(outcome.kind).toBe(seen.has(event.eventId) ? 'duplicate' : 'applied');
          seen.add(event.eventId);
          if (outcome.kind === 'applied') views.set(event.orderId, outcome.view);
        }

        for (const events of histories) {
          expect(views.get(events[0].orderId)).toStrictEqual(expectedView(events));
        }
      }),
    );
  });

  it('stops at a missing event: every later event is a version gap and the view stays', () => {
    fc.assert(
      fc.property(historyAndIndex(0, 2), ([events, missing]) => {
        const before = project(undefined, events.slice(0, missing)).view;
        const later = events.slice(missing + 1);
        const { view, outcomes } = project(before, later);

        expect(outcomes).toStrictEqual(
          later.map((event) => ({
            kind: 'unapplicable',
            reason: `version gap: expected ${missing + 1}, got ${event.version}`,
          })),
        );
        expect(view).toBe(before);
      }),
    );
  });

  it('never throws, and whatever it applies is a view a client can rely on', () => {
    fc.assert(
      fc.property(tamperedArbitrary, ({ view, event }) => {
        const outcome = projectOrderEvent(view, event);

        if (outcome.kind === 'applied') expectServable(outcome.view);
        if (outcome.kind === 'unapplicable') expect(outcome.reason).not.toBe('');
      }),
      { numRuns: 1_000 },
    );
  });

  it('applies a tampered event only if it is a well-formed next event of the same order', () => {
    fc.assert(
      fc.property(tamperedArbitrary, ({ view, event }) => {
        const outcome = projectOrderEvent(view, event);
        const next = (view?.version ?? 0) + 1;

        if (outcome.kind === 'applied') {
          expect(event.version).toBe(next);
          expect(event.orderId).toBe(view?.orderId ?? event.orderId);
          expect(isKnownOrderEventType(event.type)).toBe(true);
          expect(outcome.view.updatedAt).toBe(event.occurredAt);
        }
        if (outcome.kind === 'duplicate') expect(event.version).toBeLessThanOrEqual(next - 1);
      }),
      { numRuns: 1_000 },
    );
  });

  it('mutates neither the view nor the event', () => {
    fc.assert(
      fc.property(tamperedArbitrary, ({ view, event }) => {
        // fc.stringify renders every detail, prototypes and -0 included.
        const before = fc.stringify({ view, event });
        deepFreeze({ view, event });

        projectOrderEvent(view, event);
        if (view) skipOrderEvent(view, event);

        expect(fc.stringify({ view, event })).toBe(before);
      }),
    );
    fc.assert(
      fc.property(orderHistoryArbitrary(), (events) => {
        const before = fc.stringify(events);
        let view: OrderView | undefined;
        for (const event of deepFreeze(events)) {
          const outcome = projectOrderEvent(view && deepFreeze(view), event);
          if (outcome.kind === 'applied') view = outcome.view;
        }

        expect(fc.stringify(events)).toBe(before);
        expect(view).toStrictEqual(expectedView(events));
      }),
    );
  });

  it('resumes after an operator skips a parked event', () => {
    const unknownType = fc.string().filter((type) => !isKnownOrderEventType(type));
    fc.assert(
      fc.property(historyAndIndex(1, 1), unknownType, ([events, at], type) => {
        // An event of a type this code does not know, slipped in before event `at`.
        const parked = { ...events[at], type, version: at + 1 } as unknown as OrderEventEnvelope;
        const later = events.slice(at).map((event) => ({ ...event, version: event.version + 1 }));
        const blocked = project(undefined, events.slice(0, at)).view!;
        expect(projectOrderEvent(blocked, parked).kind).toBe('unapplicable');
        expect(projectOrderEvent(blocked, later[0]).kind).toBe('unapplicable');

        const skipped = skipOrderEvent(blocked, parked);
        const { view, outcomes } = project(skipped, later);

        expect(skipped).toStrictEqual({ ...blocked, version: at + 1 });
        expect(outcomes.map((outcome) => outcome.kind)).toEqual(later.map(() => 'applied'));
        expect(view).toStrictEqual({ ...expectedView(events), version: events.length + 1 });
      }),
    );
  });
});
