import { randomUUID } from 'node:crypto';
import type { OrderEventEnvelope } from '@app/order-events';
import { orderHistory } from '../../../../test/fixtures/order-histories';
import { projectBatch, type BatchStart, type PositionedEvent } from './project-batch';

const positioned = (envelopes: OrderEventEnvelope[]): PositionedEvent[] =>
  envelopes.map((envelope, index) => ({
    topic: 'order-events',
    partition: 0,
    offset: String(index),
    envelope,
  }));

const empty: BatchStart = { orders: new Map(), parkedOrders: new Set() };

describe('projectBatch: duplicates are recognised by event id, not by version alone', () => {
  const [placed, paid, shipped] = orderHistory('order-1', 'shipped');

  it('given an applied event, when it is delivered again, then it is a duplicate', () => {
    const outcome = projectBatch(empty, positioned([placed, paid, paid, placed]));
    expect(outcome).toMatchObject({ applied: 2, duplicates: 2, parked: [] });
    expect(outcome.changed.get('order-1')?.eventIds).toEqual([placed.eventId, paid.eventId]);
  });

  it('given a forged event took version 2, when the real version 2 arrives, then the order parks with the reason', () => {
    const forged: OrderEventEnvelope = {
      ...paid,
      eventId: randomUUID(),
      type: 'OrderCancelled',
      data: { reason: 'forged' },
    };
    const outcome = projectBatch(empty, positioned([placed, forged, paid, shipped]));
    expect(outcome.applied).toBe(2);
    expect(outcome.parked.map((event) => [event.envelope.eventId, event.reason])).toEqual([
      [
        paid.eventId,
        `conflicting event: version 2 of this order is event ${forged.eventId}, not ${paid.eventId}`,
      ],
      [shipped.eventId, 'an earlier event of this order is parked'],
    ]);
  });

  it('given a row stored without event ids, then an old version is a duplicate as before', () => {
    const outcome = projectBatch(empty, positioned([placed, paid]));
    const stored = { ...outcome.changed.get('order-1')!, eventIds: [] };
    const again = projectBatch(
      { orders: new Map([['order-1', stored]]), parkedOrders: new Set() },
      positioned([{ ...paid, eventId: randomUUID() }]),
    );
    expect(again).toMatchObject({ applied: 0, duplicates: 1, parked: [] });
  });
});

describe("projectBatch: the order's history is what the view applied", () => {
  const [placed, paid, shipped] = orderHistory('order-1', 'shipped');
  const [otherPlaced, otherCancelled] = orderHistory('order-2', 'cancelled');
  const historyOf = (outcome: ReturnType<typeof projectBatch>) =>
    outcome.history.map((event) => [event.orderId, event.version, event.eventId]);

  it('given events of two orders, then each applied event once, in the order applied', () => {
    const outcome = projectBatch(
      empty,
      positioned([placed, otherPlaced, paid, paid, otherCancelled, placed]),
    );
    expect(historyOf(outcome)).toEqual([
      ['order-1', 1, placed.eventId],
      ['order-2', 1, otherPlaced.eventId],
      ['order-1', 2, paid.eventId],
      ['order-2', 2, otherCancelled.eventId],
    ]);
  });

  it('given a batch read again over the rows it stored, then no history at all', () => {
    const first = projectBatch(empty, positioned([placed, paid, shipped]));
    const again = projectBatch(
      { orders: first.changed, parkedOrders: new Set() },
      positioned([placed, paid, shipped]),
    );
    expect(again.history).toEqual([]);
  });

  it('given an order that parks, then its events stay out of the history from the parked one on', () => {
    const outcome = projectBatch(empty, positioned([placed, shipped, paid]));
    expect(historyOf(outcome)).toEqual([['order-1', 1, placed.eventId]]);
    expect(outcome.parked.map((event) => event.envelope.version)).toEqual([3, 2]);
  });

  it('given an order already parked, then none of its events enter the history', () => {
    const outcome = projectBatch(
      { orders: new Map(), parkedOrders: new Set(['order-1']) },
      positioned([placed, otherPlaced]),
    );
    expect(historyOf(outcome)).toEqual([['order-2', 1, otherPlaced.eventId]]);
  });
});
