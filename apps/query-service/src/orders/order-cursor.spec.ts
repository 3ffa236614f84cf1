import { ApiError } from '@app/http-platform';
import { decodeCursor, encodeCursor, type OrderCursor } from './order-cursor';

function refusal(cursor: string): string | undefined {
  try {
    decodeCursor(cursor);
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? `${error.statusCode} ${error.code}` : 'not an ApiError';
  }
}

const base64url = (text: string) => Buffer.from(text).toString('base64url');

describe('order list cursor', () => {
  it('round-trips a position to the microsecond', () => {
    const cursor: OrderCursor = {
      placedAt: '2024-02-29T23:59:59.999999Z',
      orderId: '0b6f2c1e-7d0e-4a55-9a8e-1f2d3c4b5a69',
    };
    const encoded = encodeCursor(cursor);
    expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(encoded)).toEqual(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['too long', 'a'.repeat(257)],
    ['not JSON', base64url('{nope')],
    ['an object', base64url('{"placedAt":"2024-01-01T00:00:00.000000Z","orderId":"o"}')],
    ['three parts', base64url('["2024-01-01T00:00:00.000000Z","o","x"]')],
    ['millisecond time', base64url('["2024-01-01T00:00:00.000Z","o"]')],
    ['time with offset', base64url('["2024-01-01T00:00:00.000000+01:00","o"]')],
    ['month 13', base64url('["2024-13-01T00:00:00.000000Z","o"]')],
    ['30 February', base64url('["2024-02-30T00:00:00.000000Z","o"]')],
    ['hour 24', base64url('["2024-01-01T24:00:00.000000Z","o"]')],
    ['year 0', base64url('["0000-01-01T00:00:00.000000Z","o"]')],
    ['a number as time', base64url('[1704067200000,"o"]')],
    ['an empty order id', base64url('["2024-01-01T00:00:00.000000Z",""]')],
    ['an order id with NUL', base64url('["2024-01-01T00:00:00.000000Z","a\\u0000b"]')],
    [
      'an order id of 65 characters',
      base64url(`["2024-01-01T00:00:00.000000Z","${'a'.repeat(65)}"]`),
    ],
  ])('refuses a cursor that is %s', (_name, cursor) => {
    expect(refusal(cursor)).toBe('400 INVALID_CURSOR');
  });
});
