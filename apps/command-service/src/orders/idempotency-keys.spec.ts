import { requestFingerprint } from './idempotency-keys';

describe('requestFingerprint', () => {
  const body = {
    amount: 3_000,
    paymentReference: 'pay-1',
    nested: { b: [1, { d: 1, c: 2 }], a: null },
  };

  it('is the same for the same request whatever the order of its fields', () => {
    const reordered = {
      nested: { a: null, b: [1, { c: 2, d: 1 }] },
      paymentReference: 'pay-1',
      amount: 3_000,
    };
    expect(requestFingerprint('POST', '/orders/o-1/pay', reordered)).toBe(
      requestFingerprint('POST', '/orders/o-1/pay', body),
    );
  });

  it('differs when the path, a value or the order of a list differs', () => {
    const fingerprint = requestFingerprint('POST', '/orders/o-1/pay', body);
    expect(requestFingerprint('POST', '/orders/o-2/pay', body)).not.toBe(fingerprint);
    expect(requestFingerprint('POST', '/orders/o-1/pay', { ...body, amount: 3_001 })).not.toBe(
      fingerprint,
    );
    expect(
      requestFingerprint('POST', '/orders/o-1/pay', {
        ...body,
        nested: { ...body.nested, b: [{ d: 1, c: 2 }, 1] },
      }),
    ).not.toBe(fingerprint);
  });
});
