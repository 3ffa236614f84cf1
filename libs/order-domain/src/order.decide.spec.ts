import type { OrderCommand, PlaceOrder } from './order.commands';
import { decide, orderTotal } from './order.decide';
import {
  InvalidOrderError,
  OrderAlreadyExistsError,
  OrderNotCancellableError,
  OrderNotFoundError,
  OrderNotPayableError,
  OrderNotShippableError,
  PaymentAmountMismatchError,
} from './order.errors';
import type { OrderEvent, OrderItem } from './order.events';
import { ADDRESS_LIMITS, ORDER_LIMITS } from './order.limits';
import { foldOrder } from './order.state';
import {
  cancelOrder,
  histories,
  items,
  orderCancelled,
  orderId,
  orderPaid,
  orderPlaced,
  orderShipped,
  payOrder,
  placeOrder,
  shipOrder,
  shippingAddress,
  total,
} from '../../../test/fixtures/order.fixtures';

type ErrorClass = abstract new (...args: never[]) => Error;

/** given(past events).when(command).then(expected events | refusal [, its properties]) */
function given(history: readonly OrderEvent[]) {
  return {
    when(command: OrderCommand) {
      return {
        then(expected: OrderEvent[] | ErrorClass, properties?: Record<string, unknown>): void {
          const run = () => decide(command, foldOrder(history));
          if (Array.isArray(expected)) {
            expect(run()).toEqual(expected);
            return;
          }
          let refusal: unknown;
          try {
            refusal = { decided: run() };
          } catch (error) {
            refusal = error;
          }
          expect(refusal).toBeInstanceOf(expected);
          if (properties) expect(refusal).toMatchObject(properties);
        },
      };
    },
  };
}

const { NEW, PLACED, PAID, SHIPPED, CANCELLED, CANCELLED_AFTER_PAYMENT } = histories;

describe('decide', () => {
  describe('PlaceOrder', () => {
    it('places a new order with its total', () => {
      given(NEW).when(placeOrder()).then([orderPlaced]);
    });

    it('records only sku, quantity and unitPrice of each line', () => {
      const withExtra = items.map((item) => ({ ...item, discount: 50 }));
      const [event] = decide(placeOrder({ items: withExtra }), foldOrder(NEW));
      expect(event).toEqual(orderPlaced);
    });

    it('records the shipping address when one is given, and only its known fields', () => {
      const given = { ...shippingAddress, floor: 3 } as typeof shippingAddress;
      const [event] = decide(placeOrder({ shippingAddress: given }), foldOrder(NEW));
      expect(event).toStrictEqual({
        ...orderPlaced,
        data: { ...orderPlaced.data, shippingAddress },
      });
    });

    it('leaves the shipping address out when none is given (absent, not undefined)', () => {
      const [event] = decide(placeOrder({ shippingAddress: undefined }), foldOrder(NEW));
      expect(event).toStrictEqual(orderPlaced);
    });

    it.each<[string, unknown, string]>([
      ['not an object', 'Main Street 1', 'shippingAddress'],
      ['without a city', { ...shippingAddress, city: undefined }, 'shippingAddress.city'],
      ['with a blank line1', { ...shippingAddress, line1: '   ' }, 'shippingAddress.line1'],
      [
        'with a lower-case country',
        { ...shippingAddress, country: 'de' },
        'shippingAddress.country',
      ],
      [
        'with a postal code too long',
        { ...shippingAddress, postalCode: '1'.repeat(ADDRESS_LIMITS.maxPostalCodeLength + 1) },
        'shippingAddress.postalCode',
      ],
      ['with a line2 that is not text', { ...shippingAddress, line2: 7 }, 'shippingAddress.line2'],
    ])('refuses a shipping address %s', (_case, address, field) => {
      given(NEW)
        .when(placeOrder({ shippingAddress: address as PlaceOrder['shippingAddress'] }))
        .then(InvalidOrderError, { code: 'INVALID_ORDER', field });
    });

    it('takes occurredAt from the command', () => {
      given(NEW)
        .when(placeOrder({ now: new Date('2030-12-31T23:59:59.999Z') }))
        .then([{ ...orderPlaced, occurredAt: '2030-12-31T23:59:59.999Z' }]);
    });

    it.each([
      ['PLACED', PLACED],
      ['PAID', PAID],
      ['SHIPPED', SHIPPED],
      ['CANCELLED', CANCELLED],
    ])('refuses to place an order that is already %s', (_status, history) => {
      given(history)
        .when(placeOrder())
        .then(OrderAlreadyExistsError, { code: 'ORDER_ALREADY_EXISTS', orderId });
    });
  });

  describe('PayOrder', () => {
    it('pays a placed order with exactly its total', () => {
      given(PLACED).when(payOrder()).then([orderPaid]);
    });

    it('refuses to pay an order that does not exist', () => {
      given(NEW).when(payOrder()).then(OrderNotFoundError, { code: 'ORDER_NOT_FOUND', orderId });
    });

    it.each([
      ['PAID', PAID],
      ['SHIPPED', SHIPPED],
      ['CANCELLED', CANCELLED],
    ] as const)('refuses to pay an order that is %s', (status, history) => {
      given(history)
        .when(payOrder())
        .then(OrderNotPayableError, { code: 'ORDER_NOT_PAYABLE', orderId, status });
    });

    it.each([
      ['one cent short', total - 1],
      ['one cent over', total + 1],
      ['nothing', 0],
      ['a fraction', total + 0.5],
    ])('refuses a payment of %s', (_case, amount) => {
      given(PLACED).when(payOrder({ amount })).then(PaymentAmountMismatchError, {
        code: 'PAYMENT_AMOUNT_MISMATCH',
        expected: total,
        received: amount,
        currency: 'EUR',
      });
    });

    it('reports a wrong state before a wrong amount', () => {
      given(PAID)
        .when(payOrder({ amount: 1 }))
        .then(OrderNotPayableError);
    });
  });

  describe('ShipOrder', () => {
    it('ships a paid order', () => {
      given(PAID).when(shipOrder()).then([orderShipped]);
    });

    it('refuses to ship an order that does not exist', () => {
      given(NEW).when(shipOrder()).then(OrderNotFoundError, { code: 'ORDER_NOT_FOUND' });
    });

    it.each([
      ['PLACED', PLACED],
      ['SHIPPED', SHIPPED],
      ['CANCELLED', CANCELLED],
      ['CANCELLED', CANCELLED_AFTER_PAYMENT],
    ] as const)('refuses to ship an order that is %s', (status, history) => {
      given(history)
        .when(shipOrder())
        .then(OrderNotShippableError, { code: 'ORDER_NOT_SHIPPABLE', orderId, status });
    });
  });

  describe('CancelOrder', () => {
    it('cancels a placed order', () => {
      given(PLACED).when(cancelOrder()).then([orderCancelled]);
    });

    it('cancels a paid order', () => {
      given(PAID).when(cancelOrder()).then([orderCancelled]);
    });

    it('refuses to cancel an order that does not exist', () => {
      given(NEW).when(cancelOrder()).then(OrderNotFoundError, { code: 'ORDER_NOT_FOUND' });
    });

    it.each([
      ['SHIPPED', SHIPPED],
      ['CANCELLED', CANCELLED],
      ['CANCELLED', CANCELLED_AFTER_PAYMENT],
    ] as const)('refuses to cancel an order that is %s', (status, history) => {
      given(history)
        .when(cancelOrder())
        .then(OrderNotCancellableError, { code: 'ORDER_NOT_CANCELLABLE', orderId, status });
    });
  });

  describe('order invariants', () => {
    const line = (overrides: Partial<OrderItem> = {}): OrderItem => ({
      sku: 'SKU-1',
      quantity: 1,
      unitPrice: 100,
      ...overrides,
    });
    const lines = (count: number) =>
      Array.from({ length: count }, (_, index) => line({ sku: `SKU-${index}` }));
    // Malformed input can reach the domain from an untyped caller.
    const untyped = (value: unknown) => value as never;

    const accepts = (overrides: Partial<PlaceOrder>, expectedTotal: number) => {
      const [event] = decide(placeOrder(overrides), foldOrder(NEW));
      expect(event).toMatchObject({ type: 'OrderPlaced', data: { total: expectedTotal } });
    };
    const refuses = (overrides: Partial<PlaceOrder>, field: string, message: RegExp) =>
      given(NEW)
        .when(placeOrder(overrides))
        .then(InvalidOrderError, {
          code: 'INVALID_ORDER',
          field,
          message: expect.stringMatching(message),
        });

    it.each([1, 100])('accepts %i items', (count) => {
      accepts({ items: lines(count) }, count * 100);
    });

    it.each([0, 101])('refuses %i items', (count) => {
      refuses({ items: lines(count) }, 'items', /^Invalid order: items must hold 1 to 100 items/);
    });

    it('refuses items that are not a list', () => {
      refuses({ items: untyped({ sku: 'SKU-1' }) }, 'items', /must be a list/);
    });

    it('refuses a line that is not an object', () => {
      refuses({ items: untyped([line(), null]) }, 'items[1]', /must be an object, got null/);
    });

    it.each([1, 10_000])('accepts quantity %i', (quantity) => {
      accepts({ items: [line({ quantity })] }, quantity * 100);
    });

    it.each([0, -1, 10_001, 1.5, Number.NaN, untyped('2')])('refuses quantity %p', (quantity) => {
      refuses(
        { items: [line(), line({ quantity })] },
        'items[1].quantity',
        /^Invalid order: items\[1\]\.quantity must be an integer from 1 to 10000, got /,
      );
    });

    it.each([0, 1_000_000_000])('accepts unitPrice %i', (unitPrice) => {
      accepts({ items: [line({ unitPrice })] }, unitPrice);
    });

    it.each([-1, 1_000_000_001, 0.5, Infinity, untyped(null)])(
      'refuses unitPrice %p',
      (unitPrice) => {
        refuses(
          { items: [line({ unitPrice })] },
          'items[0].unitPrice',
          /items\[0\]\.unitPrice must be an integer from 0 to 1000000000, got /,
        );
      },
    );

    // 64 code points and one more: a variation selector that some length checks do not count,
    // but the event schema does (an event the service wrote and then could not read).
    const sixtyFivePoints = `${'a'.repeat(64)}\uFE0F`;

    it.each(['', '   ', untyped(undefined), untyped(42), 'a\u0000b', sixtyFivePoints])(
      'refuses sku %p',
      (sku) => {
        refuses({ items: [line({ sku })] }, 'items[0].sku', /must be 1 to 64 printable characters/);
      },
    );

    it.each(['', ' ', untyped(undefined), 'a\nb', sixtyFivePoints])(
      'refuses customerId %p',
      (customerId) => {
        refuses(
          { customerId },
          'customerId',
          /^Invalid order: customerId must be 1 to 64 printable/,
        );
      },
    );

    it.each(['EUR', 'USD', 'JPY'])('accepts currency %s', (currency) => {
      accepts({ currency }, total);
    });

    it.each(['eur', 'EU', 'EURO', 'E1R', ' EUR', '', untyped(978)])(
      'refuses currency %p',
      (currency) => {
        refuses({ currency }, 'currency', /^Invalid order: currency must be an ISO 4217 code/);
      },
    );

    it('names the value it refused', () => {
      refuses({ currency: 'euro' }, 'currency', /got "euro"$/);
    });

    it('keeps long refused values out of the message', () => {
      refuses({ customerId: ' '.repeat(10_000) }, 'customerId', /got " {38}…$/);
    });

    it('refuses invalid input even for an order that exists', () => {
      given(PLACED)
        .when(placeOrder({ items: [] }))
        .then(InvalidOrderError, { field: 'items' });
    });

    it('keeps the largest total the limits allow a safe integer', () => {
      const { maxItems, maxQuantity, maxUnitPrice } = ORDER_LIMITS;
      const largest = Array.from({ length: maxItems }, (_, index) =>
        line({ sku: `SKU-${index}`, quantity: maxQuantity, unitPrice: maxUnitPrice }),
      );
      accepts({ items: largest }, 1e15);
      expect(maxItems * maxQuantity * maxUnitPrice).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    });
  });
});

describe('orderTotal', () => {
  it('sums quantity × unitPrice', () => {
    expect(orderTotal(items)).toBe(total);
  });

  it('accepts a total of exactly Number.MAX_SAFE_INTEGER', () => {
    expect(orderTotal([{ sku: 'A', quantity: 1, unitPrice: Number.MAX_SAFE_INTEGER }])).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('refuses a total beyond Number.MAX_SAFE_INTEGER rather than round it', () => {
    const beyond = [
      { sku: 'A', quantity: 1, unitPrice: Number.MAX_SAFE_INTEGER },
      { sku: 'B', quantity: 1, unitPrice: 1 },
    ];
    expect(() => orderTotal(beyond)).toThrow(InvalidOrderError);
    expect(() => orderTotal(beyond)).toThrow(/^Invalid order: total must be an integer of at most/);
  });
});
