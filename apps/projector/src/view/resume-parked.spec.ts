import type { OrderEventEnvelope } from '@app/order-events';
import { foldOrderView } from '@app/order-view';
import { orderHistory } from '../../../../test/fixtures/order-histories';
import { decisionKeyOf, resumeParked } from './resume-parked';

const parkedRow = (envelope: OrderEventEnvelope) => ({ envelope });

describe('resumeParked', () => {
  const [placed, paid, shipped] = orderHistory('order-1', 'shipped');
  const stored = { view: foldOrderView([placed])!, appliedEvents: 1, eventIds: [placed.eventId] };

  it('given a gap since filled, when retried, applies the parked events in version order', () => {
    const result = resumeParked(stored, [paid, shipped].map(parkedRow), () => false);

    expect(result.stored).toEqual({
      view: foldOrderView([placed, paid, shipped]),
      appliedEvents: 3,
      eventIds: [placed.eventId, paid.eventId, shipped.eventId],
    });
    expect(result.resolved.map((entry) => entry.resolution)).toEqual(['applied', 'applied']);
    expect(result.history.map((event) => event.eventId)).toEqual([paid.eventId, shipped.eventId]);
    expect(result.stillParked).toBe(0);
    expect(result.blocked).toBeUndefined();
  });

  it('given a gap still open, when retried, stops at it and says why', () => {
    const result = resumeParked(stored, [shipped].map(parkedRow), () => false);

    expect(result.stored).toBe(stored);
    expect(result.resolved).toEqual([]);
    expect(result.history).toEqual([]);
    expect(result.stillParked).toBe(1);
    expect(result.blocked?.reason).toMatch(/version gap: expected 2, got 3/);
  });

  it('given an event picked to skip, sets it aside and applies the rest', () => {
    const unknown = { ...paid, type: 'OrderGiftWrapped' } as unknown as OrderEventEnvelope;
    const paidLater = { ...paid, version: 3, eventId: 'paid-later' };
    const skips = new Set([decisionKeyOf(unknown)]);
    const result = resumeParked(stored, [unknown, paidLater].map(parkedRow), (event) =>
      skips.has(decisionKeyOf(event.envelope)),
    );

    expect(result.stored?.view).toMatchObject({ status: 'PAID', version: 3 });
    // The skipped event counts as seen, not as applied.
    expect(result.stored?.appliedEvents).toBe(2);
    expect(result.resolved.map((entry) => entry.resolution)).toEqual(['skipped', 'applied']);
    // The history holds what the view applied: the skipped event's content was dropped.
    expect(result.history.map((event) => event.eventId)).toEqual(['paid-later']);
  });

  it('given no row (the OrderPlaced parked), a skip leaves none and the rest stay parked', () => {
    const result = resumeParked(
      undefined,
      [placed, paid].map(parkedRow),
      (_, index) => index === 0,
    );

    expect(result.stored).toBeUndefined();
    expect(result.resolved.map((entry) => entry.resolution)).toEqual(['skipped']);
    expect(result.stillParked).toBe(1);
  });

  it('keys decisions by event id as well as order and version', () => {
    expect(decisionKeyOf(paid)).not.toBe(decisionKeyOf({ ...paid, eventId: 'another' }));
    expect(decisionKeyOf(paid)).toBe(decisionKeyOf({ ...paid }));
  });
});
