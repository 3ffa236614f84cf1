import type { ArgumentMetadata } from '@nestjs/common';
import { ApiError } from '@app/http-platform';
// The pipe every app installs globally; not part of the lib's surface, so reached directly here.
import { RequestValidationPipe } from '@app/http-platform';
import {
  GET_ORDER_PARAMS,
  GetOrderParams,
  LIST_ORDERS_PARAMS,
  OrderHistoryParams,
  ListOrdersParams,
  refuseUnknownParams,
} from './order-query-params';

const pipe = new RequestValidationPipe();

async function validate(
  metatype: ArgumentMetadata['metatype'],
  query: Record<string, unknown>,
): Promise<unknown> {
  return pipe.transform(query, { type: 'query', metatype });
}

async function refusal(metatype: ArgumentMetadata['metatype'], query: Record<string, unknown>) {
  try {
    await validate(metatype, query);
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? `${error.statusCode} ${error.code}` : 'not an ApiError';
  }
}

describe('GET /orders/:id parameters', () => {
  it('parses integers from query text', async () => {
    await expect(validate(GetOrderParams, { minVersion: '3', waitMs: '0' })).resolves.toEqual(
      expect.objectContaining({ minVersion: 3, waitMs: 0 }),
    );
    await expect(
      validate(GetOrderParams, { waitMs: '10000', minVersion: '2147483647' }),
    ).resolves.toBeInstanceOf(GetOrderParams);
  });

  it.each([
    { minVersion: '0' },
    { minVersion: '-1' },
    { minVersion: '2147483648' },
    { minVersion: '1.5' },
    { minVersion: '1e3' },
    { minVersion: ' 1' },
    { minVersion: '0x10' },
    { minVersion: '' },
    { minVersion: 'abc' },
    { minVersion: ['1', '2'] },
    { minVersion: '1', waitMs: '10001' },
    { minVersion: '1', waitMs: '-1' },
    { minVersion: '1', waitMs: 'soon' },
    { minVersion: '1', extra: 'x' },
  ])('refuses %p', async (query) => {
    await expect(refusal(GetOrderParams, query)).resolves.toBe('400 VALIDATION_FAILED');
  });
});

describe('GET /orders parameters', () => {
  it('accepts each filter and the page size limits', async () => {
    for (const query of [
      {},
      { status: 'PAID', customerId: 'customer-7', limit: '1' },
      { limit: '200', cursor: 'abc' },
      { customerId: 'c'.repeat(64) },
    ]) {
      await expect(validate(ListOrdersParams, query)).resolves.toBeInstanceOf(ListOrdersParams);
    }
  });

  it.each([
    { status: 'NEW' },
    { status: 'paid' },
    { status: ['PAID', 'SHIPPED'] },
    { customerId: '' },
    { customerId: 'c'.repeat(65) },
    { customerId: 'a\u0000b' },
    { customerId: '   ' },
    { limit: '0' },
    { limit: '201' },
    { limit: '10.0' },
    { limit: ['1', '2'] },
    { cursor: ['a', 'b'] },
    { sort: 'asc' },
  ])('refuses %p', async (query) => {
    await expect(refusal(ListOrdersParams, query)).resolves.toBe('400 VALIDATION_FAILED');
  });
});

describe('GET /orders/:id/history parameters', () => {
  it('accepts the page size limits and a cursor', async () => {
    for (const query of [{}, { limit: '1' }, { limit: '200', cursor: '3' }]) {
      await expect(validate(OrderHistoryParams, query)).resolves.toBeInstanceOf(OrderHistoryParams);
    }
    await expect(validate(OrderHistoryParams, { limit: '7' })).resolves.toEqual(
      expect.objectContaining({ limit: 7 }),
    );
  });

  it.each([
    { limit: '0' },
    { limit: '201' },
    { limit: '-1' },
    { limit: '1.5' },
    { limit: 'all' },
    { limit: ['1', '2'] },
    { cursor: ['1', '2'] },
    { afterVersion: '1' },
    { minVersion: '1' },
  ])('refuses %p', async (query) => {
    await expect(refusal(OrderHistoryParams, query)).resolves.toBe('400 VALIDATION_FAILED');
  });
});

describe('refuseUnknownParams', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'sort'])(
    'refuses %s, which the validation pipe lets through or drops',
    (name) => {
      expect(() => refuseUnknownParams(`/orders?limit=5&${name}=x`, LIST_ORDERS_PARAMS)).toThrow(
        `property ${name} should not exist`,
      );
    },
  );

  it('accepts the known ones, and no query at all', () => {
    expect(() =>
      refuseUnknownParams('/orders/o-1?minVersion=1&waitMs=2', GET_ORDER_PARAMS),
    ).not.toThrow();
    expect(() => refuseUnknownParams('/orders/o-1', GET_ORDER_PARAMS)).not.toThrow();
  });
});
