import {
  InvalidOrderError,
  InvalidOrderHistoryError,
  OrderAlreadyExistsError,
  OrderDomainError,
  OrderNotCancellableError,
  OrderNotFoundError,
  OrderNotPayableError,
  OrderNotShippableError,
  PaymentAmountMismatchError,
} from './order.errors';

describe('order domain errors', () => {
  it.each<[OrderDomainError, string, string, string]>([
    [new OrderNotFoundError('o-1'), 'ORDER_NOT_FOUND', 'not_found', 'Order o-1 does not exist'],
    [
      new OrderAlreadyExistsError('o-1'),
      'ORDER_ALREADY_EXISTS',
      'conflict',
      'Order o-1 cannot be placed: it already exists',
    ],
    [
      new OrderNotPayableError('o-1', 'SHIPPED'),
      'ORDER_NOT_PAYABLE',
      'conflict',
      'Order o-1 cannot be paid: it is SHIPPED, only a PLACED order can be paid',
    ],
    [
      new PaymentAmountMismatchError('o-1', 3097, 3000, 'EUR'),
      'PAYMENT_AMOUNT_MISMATCH',
      'unprocessable',
      'Order o-1 cannot be paid with 3000 EUR: the total is 3097 EUR',
    ],
    [
      new OrderNotShippableError('o-1', 'PLACED'),
      'ORDER_NOT_SHIPPABLE',
      'conflict',
      'Order o-1 cannot be shipped: it is PLACED, only a PAID order can be shipped',
    ],
    [
      new OrderNotCancellableError('o-1', 'SHIPPED'),
      'ORDER_NOT_CANCELLABLE',
      'conflict',
      'Order o-1 cannot be cancelled: it is SHIPPED, only a PLACED or PAID order can be cancelled',
    ],
    [
      new InvalidOrderError('items[0].quantity', 'must be an integer from 1 to 10000, got 0'),
      'INVALID_ORDER',
      'invalid',
      'Invalid order: items[0].quantity must be an integer from 1 to 10000, got 0',
    ],
  ])('%s has code %s and kind %s', (error, code, kind, message) => {
    expect(error).toBeInstanceOf(OrderDomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.kind).toBe(kind);
    expect(error.message).toBe(message);
    expect(error.name).toBe(error.constructor.name);
  });

  it('keeps a corrupt history out of the refusals the HTTP edge maps to 4xx', () => {
    const error = new InvalidOrderHistoryError('OrderPaid', 'NEW');
    expect(error).not.toBeInstanceOf(OrderDomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('INVALID_ORDER_HISTORY');
    expect(error.name).toBe('InvalidOrderHistoryError');
  });
});
