import {
  OrderNotFoundError,
  OrderNotPayableError,
  PaymentAmountMismatchError,
  InvalidOrderError,
} from '@app/order-domain';
import { IdempotencyKeyReusedError } from './idempotency-keys';
import { OrderVersionMismatchError } from './order-command.handler';
import { mapOrderError } from './order-error-mapper';
import { StreamVersionConflictError, UnreadableStoredEventError } from './order-event-store';

describe('mapOrderError', () => {
  it.each([
    [new OrderNotFoundError('o-1'), 404, 'ORDER_NOT_FOUND'],
    [new OrderNotPayableError('o-1', 'SHIPPED'), 409, 'ORDER_NOT_PAYABLE'],
    [new PaymentAmountMismatchError('o-1', 10, 11, 'EUR'), 422, 'PAYMENT_AMOUNT_MISMATCH'],
    [new InvalidOrderError('items', 'is empty'), 400, 'INVALID_ORDER'],
    [new OrderVersionMismatchError('o-1', 1, 2), 412, 'ORDER_VERSION_MISMATCH'],
    [new StreamVersionConflictError('o-1', 1), 409, 'CONCURRENT_MODIFICATION'],
    [new IdempotencyKeyReusedError('k'), 422, 'IDEMPOTENCY_KEY_REUSED'],
    [
      new UnreadableStoredEventError('o-1', 2, 'unknown schemaVersion 3 of OrderPaid', true),
      503,
      'EVENT_VERSION_UNKNOWN',
    ],
    [
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      503,
      'DATABASE_UNAVAILABLE',
    ],
    [
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
      503,
      'DATABASE_UNAVAILABLE',
    ],
    [Object.assign(new Error('too many clients'), { code: '53300' }), 503, 'DATABASE_UNAVAILABLE'],
  ])('maps %p to %i %s', (error, status, code) => {
    expect(mapOrderError(error)).toMatchObject({ statusCode: status, code });
  });

  it('asks to retry an event this instance is too old to read, on a newer instance', () => {
    const newer = new UnreadableStoredEventError('o-1', 2, 'unknown schemaVersion 3', true);
    expect(mapOrderError(newer)).toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
  });

  it('leaves other errors to the filter, which answers 500 and logs them', () => {
    expect(mapOrderError(new TypeError('bug'))).toBeUndefined();
    expect(mapOrderError(Object.assign(new Error('syntax'), { code: '42601' }))).toBeUndefined();
    // Data its own schema refuses is a fault of the store, not something a retry fixes.
    const corrupt = new UnreadableStoredEventError('o-1', 1, 'OrderPlaced data is bad', false);
    expect(mapOrderError(corrupt)).toBeUndefined();
  });
});
