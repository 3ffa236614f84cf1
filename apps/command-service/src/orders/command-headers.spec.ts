import { ApiError } from '@app/http-platform';
import { parseIdempotencyKey, parseIfMatch, parseOrderId } from './command-headers';

function refusalCode(parse: () => unknown): string | undefined {
  try {
    parse();
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? `${error.statusCode} ${error.code}` : 'not an ApiError';
  }
}

describe('command headers', () => {
  it.each([
    ['"3"', 3],
    ['3', 3],
    ['W/"12"', 12],
    [' "7" ', 7],
    ['*', undefined],
    [undefined, undefined],
  ])('If-Match %p names version %p', (header, version) => {
    expect(parseIfMatch(header)).toBe(version);
  });

  it.each(['"0"', '"abc"', '"1", "2"', '"-1"', '"12345678901"', ''])(
    'refuses If-Match %p',
    (header) => {
      expect(refusalCode(() => parseIfMatch(header))).toBe('400 INVALID_IF_MATCH');
    },
  );

  it('accepts visible ASCII idempotency keys up to 255 characters', () => {
    expect(parseIdempotencyKey('k'.repeat(255))).toBe('k'.repeat(255));
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each(['', 'k'.repeat(256), 'with space', 'ключ', ['a', 'b']])(
    'refuses the idempotency key %p',
    (key) => {
      expect(refusalCode(() => parseIdempotencyKey(key))).toBe('400 INVALID_IDEMPOTENCY_KEY');
    },
  );

  it('accepts order ids of 1 to 64 safe characters and refuses others', () => {
    expect(parseOrderId('0b6f2c1e-7d0e-4a55-9a8e-1f2d3c4b5a69')).toBe(
      '0b6f2c1e-7d0e-4a55-9a8e-1f2d3c4b5a69',
    );
    expect(parseOrderId('a'.repeat(64))).toBe('a'.repeat(64));
    for (const id of ['', 'a'.repeat(65), "' OR 1=1--", 'a/b', 'a b']) {
      expect(refusalCode(() => parseOrderId(id))).toBe('400 INVALID_ORDER_ID');
    }
  });
});
