import { ApiError } from '@app/http-platform';
import { decodeHistoryCursor, encodeHistoryCursor } from './history-cursor';

function refusal(cursor: string): string | undefined {
  try {
    decodeHistoryCursor(cursor);
    return undefined;
  } catch (error) {
    return error instanceof ApiError ? `${error.statusCode} ${error.code}` : 'not an ApiError';
  }
}

describe('order history cursor', () => {
  it('is the version of the last entry on the page, so a client holding version N can ask for what follows', () => {
    expect(encodeHistoryCursor(3)).toBe('3');
    expect(decodeHistoryCursor('3')).toBe(3);
    expect(decodeHistoryCursor('0')).toBe(0);
    expect(decodeHistoryCursor('2147483647')).toBe(2_147_483_647);
  });

  it.each([
    ['empty', ''],
    ['negative', '-1'],
    ['a fraction', '1.5'],
    ['an exponent', '1e3'],
    ['hex', '0x5'],
    ['padded', ' 5'],
    ['leading zeros', '007'],
    ['beyond a PostgreSQL integer', '2147483648'],
    ['very long', '9'.repeat(400)],
    ['a list cursor', 'WyIyMDI0LTA1LTAxVDEwOjAwOjAwLjAwMDAwMFoiLCJvLTEiXQ'],
  ])('refuses %s with 400 INVALID_CURSOR', (_, cursor) => {
    expect(refusal(cursor)).toBe('400 INVALID_CURSOR');
  });
});
