import { InvalidOrderHistoryError } from './order.errors';
import type { OrderEvent } from './order.events';
import { evolve, foldOrder, initialOrderState, type OrderState } from './order.state';
import {
  histories,
  items,
  orderCancelled,
  orderPaid,
  orderPlaced,
  orderShipped,
  shippingAddress,
  total,
} from '../../../test/fixtures/order.fixtures';

const details = { customerId: 'customer-7', currency: 'EUR', items, total };
const payment = { amount: total, paymentReference: 'psp-123' };

describe('foldOrder', () => {
  it.each<[string, readonly OrderEvent[], OrderState]>([
    ['no events: a NEW order', histories.NEW, { status: 'NEW' }],
    ['OrderPlaced', histories.PLACED, { status: 'PLACED', ...details }],
    ['OrderPlaced, OrderPaid', histories.PAID, { status: 'PAID', ...details, payment }],
    [
      'OrderPlaced, OrderPaid, OrderShipped',
      histories.SHIPPED,
      {
        status: 'SHIPPED',
        ...details,
        payment,
        shipment: { carrier: 'DHL', trackingNumber: 'JD0142' },
      },
    ],
    [
      'OrderPlaced, OrderCancelled',
      histories.CANCELLED,
      {
        status: 'CANCELLED',
        ...details,
        cancellation: { reason: 'customer changed their mind' },
      },
    ],
    [
      'OrderPlaced, OrderPaid, OrderCancelled (the payment is kept)',
      histories.CANCELLED_AFTER_PAYMENT,
      {
        status: 'CANCELLED',
        ...details,
        payment,
        cancellation: { reason: 'customer changed their mind' },
      },
    ],
  ])('folds %s', (_history, events, expected) => {
    expect(foldOrder(events)).toStrictEqual(expected);
  });

  it('keeps the shipping address of the OrderPlaced through later events', () => {
    const placed = { ...orderPlaced, data: { ...orderPlaced.data, shippingAddress } };
    expect(foldOrder([placed, orderPaid, orderShipped])).toMatchObject({
      status: 'SHIPPED',
      shippingAddress,
    });
  });

  it.each<[string, readonly OrderEvent[], string, string]>([
    ['OrderPaid before OrderPlaced', [orderPaid], 'OrderPaid', 'NEW'],
    ['OrderShipped before OrderPlaced', [orderShipped], 'OrderShipped', 'NEW'],
    ['OrderCancelled before OrderPlaced', [orderCancelled], 'OrderCancelled', 'NEW'],
    ['OrderPlaced twice', [orderPlaced, orderPlaced], 'OrderPlaced', 'PLACED'],
    ['OrderShipped before OrderPaid', [orderPlaced, orderShipped], 'OrderShipped', 'PLACED'],
    ['OrderPaid twice', [orderPlaced, orderPaid, orderPaid], 'OrderPaid', 'PAID'],
    ['OrderPlaced after OrderPaid', [orderPlaced, orderPaid, orderPlaced], 'OrderPlaced', 'PAID'],
    [
      'OrderCancelled after OrderShipped',
      [...histories.SHIPPED, orderCancelled],
      'OrderCancelled',
      'SHIPPED',
    ],
    ['OrderShipped twice', [...histories.SHIPPED, orderShipped], 'OrderShipped', 'SHIPPED'],
    ['OrderPaid after OrderShipped', [...histories.SHIPPED, orderPaid], 'OrderPaid', 'SHIPPED'],
    [
      'OrderShipped after OrderCancelled',
      [...histories.CANCELLED_AFTER_PAYMENT, orderShipped],
      'OrderShipped',
      'CANCELLED',
    ],
    [
      'OrderPaid after OrderCancelled',
      [...histories.CANCELLED, orderPaid],
      'OrderPaid',
      'CANCELLED',
    ],
    [
      'OrderCancelled twice',
      [...histories.CANCELLED, orderCancelled],
      'OrderCancelled',
      'CANCELLED',
    ],
    [
      'OrderPlaced after OrderCancelled',
      [...histories.CANCELLED, orderPlaced],
      'OrderPlaced',
      'CANCELLED',
    ],
  ])('rejects %s', (_history, events, eventType, status) => {
    let caught: unknown;
    try {
      caught = { folded: foldOrder(events) };
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOrderHistoryError);
    expect(caught).toMatchObject({
      code: 'INVALID_ORDER_HISTORY',
      eventType,
      status,
      message: `Invalid order history: ${eventType} cannot be applied to a ${status} order`,
    });
  });

  it('rejects an event type it does not know', () => {
    const unknown = { type: 'OrderRefunded', data: {}, occurredAt: '' } as unknown as OrderEvent;
    expect(() => foldOrder([orderPlaced, unknown])).toThrow(
      new InvalidOrderHistoryError('OrderRefunded', 'PLACED', 'is not an order event type'),
    );
    expect(() => foldOrder([orderPlaced, unknown])).toThrow(
      'Invalid order history: OrderRefunded is not an order event type',
    );
  });
});

describe('evolve', () => {
  it('returns a new state and leaves the previous one as it was', () => {
    const placed = foldOrder(histories.PLACED);
    const snapshot = JSON.parse(JSON.stringify(placed)) as unknown;
    const paid = evolve(placed, orderPaid);
    expect(paid).not.toBe(placed);
    expect(paid.status).toBe('PAID');
    expect(placed).toEqual(snapshot);
  });

  it('starts from a NEW order that cannot be changed in place', () => {
    expect(initialOrderState).toStrictEqual({ status: 'NEW' });
    expect(Object.isFrozen(initialOrderState)).toBe(true);
  });
});
