import { ApiError } from '@app/http-platform';
import { parseOrderId } from './order-id';

describe('parseOrderId', () => {
  it.each(['0b6f2c1e-7d0e-4a55-9a8e-1f2d3c4b5a69', 'a'.repeat(64), 'A_b.c:d-1'])(
    'accepts %p',
    (id) => {
      expect(parseOrderId(id)).toBe(id);
    },
  );

  it.each(['', 'a'.repeat(65), "' OR 1=1--", 'a/b', 'a b', 'a\u0000b', 'é'])('refuses %p', (id) => {
    expect(() => parseOrderId(id)).toThrow(
      expect.objectContaining({ statusCode: 400, code: 'INVALID_ORDER_ID' }) as ApiError,
    );
  });
});
