import fc from 'fast-check';
import { foldOrder } from '@app/order-domain';
import {
  upcastOrderEvent,
  type OrderEventEnvelope,
  type RecordedOrderEvent,
} from '@app/order-events';
import { foldOrderView } from './order-view.projection';
import { orderHistoryArbitrary } from '../../../test/fixtures/order-histories';

/**
 * The same fact as the code before OrderPlaced v2 wrote it: every type at schema version 1, and
 * OrderPlaced's data exactly the four fields v1 had (libs/order-events/schemas/fixtures).
 */
function writtenByV1(event: OrderEventEnvelope): RecordedOrderEvent {
  if (event.type !== 'OrderPlaced') return { ...event, schemaVersion: 1 };
  const { customerId, currency, items, total } = event.data;
  return { ...event, schemaVersion: 1, data: { customerId, currency, items, total } };
}

/** Facts v1 could state: an order without a shipping address. */
const v1FactsArbitrary = orderHistoryArbitrary().map((history) =>
  history.map((event) => {
    if (event.type !== 'OrderPlaced') return event;
    const { customerId, currency, items, total } = event.data;
    return { ...event, data: { customerId, currency, items, total } };
  }),
);

function readAll(events: readonly RecordedOrderEvent[]): OrderEventEnvelope[] {
  return events.map((event) => {
    const reading = upcastOrderEvent(event);
    if (reading.kind !== 'read') throw new Error(reading.reason);
    return reading.event;
  });
}

describe('histories written in v1, read through the upcasters', () => {
  it('upcast to exactly the events the current writers write for the same facts, and fold to the same order', () => {
    fc.assert(
      fc.property(v1FactsArbitrary, (current) => {
        const upcast = readAll(current.map(writtenByV1));

        expect(upcast).toStrictEqual(current);
        expect(foldOrder(upcast)).toStrictEqual(foldOrder(current));
      }),
    );
  });

  it('project to the same view as the current path, whichever events of the order are in v1', () => {
    const mixed = v1FactsArbitrary.chain((current) =>
      fc.tuple(
        fc.constant(current),
        fc.array(fc.boolean(), { minLength: current.length, maxLength: current.length }),
      ),
    );
    fc.assert(
      fc.property(mixed, ([current, inV1]) => {
        const recorded = current.map((event, index) => (inV1[index] ? writtenByV1(event) : event));

        expect(foldOrderView(recorded)).toStrictEqual(foldOrderView(current));
        expect(foldOrder(readAll(recorded))).toStrictEqual(foldOrder(current));
      }),
    );
  });
});
