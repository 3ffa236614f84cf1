import type { OrderEventEnvelope } from '@app/order-events';
import { orderHistoryEntry } from './order-history';
import { projectOrderEvent } from './order-view.projection';
import { orderHistory } from '../../../test/fixtures/order-histories';

describe('orderHistoryEntry', () => {
  const [placed, paid] = orderHistory('order-1', 'paid');

  it('given an applied event, then its entry: id, type, version, time, data and correlation id', () => {
    expect(orderHistoryEntry(paid)).toStrictEqual({
      eventId: paid.eventId,
      type: 'OrderPaid',
      version: 2,
      occurredAt: paid.occurredAt,
      data: paid.data,
      correlationId: paid.metadata.correlationId,
    });
  });

  it('keeps the fields in the contract order, whatever the envelope had', () => {
    const { metadata, data, ...rest } = placed;
    const shuffled = { metadata, data, ...rest } as OrderEventEnvelope;
    expect(Object.keys(orderHistoryEntry(shuffled))).toEqual([
      'eventId',
      'type',
      'version',
      'occurredAt',
      'data',
      'correlationId',
    ]);
  });

  it('given an event without a usable correlation id (another writer), then null rather than a throw', () => {
    const withoutId = { ...paid, metadata: {} } as unknown as OrderEventEnvelope;
    const withNumber = { ...paid, metadata: { correlationId: 7 } } as unknown as OrderEventEnvelope;
    expect(orderHistoryEntry(withoutId).correlationId).toBeNull();
    expect(orderHistoryEntry(withNumber).correlationId).toBeNull();
  });
});

describe('projectOrderEvent gives the event as read, for the history', () => {
  it('given an OrderPlaced of schema version 1, then the applied event is upcast to the newest', () => {
    const [placed] = orderHistory('order-1', 'placed');
    const v1 = { ...placed, schemaVersion: 1 } as OrderEventEnvelope;
    const outcome = projectOrderEvent(undefined, v1);
    expect(outcome.kind).toBe('applied');
    if (outcome.kind !== 'applied') return;
    expect(outcome.event).toMatchObject({ eventId: placed.eventId, version: 1 });
    expect(outcome.event.schemaVersion).toBeGreaterThan(1);
  });

  it('given a duplicate or an unapplicable event, then no event: nothing enters the history', () => {
    const [placed, paid] = orderHistory('order-1', 'paid');
    const view = projectOrderEvent(undefined, placed);
    if (view.kind !== 'applied') throw new Error('OrderPlaced did not apply');
    expect(projectOrderEvent(view.view, placed)).toStrictEqual({ kind: 'duplicate' });
    expect(projectOrderEvent(view.view, { ...paid, version: 3 })).not.toHaveProperty('event');
  });
});
