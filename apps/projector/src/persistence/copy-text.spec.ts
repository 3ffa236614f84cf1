import { copyText } from './copy-text';

describe('copyText (COPY ... FROM STDIN, text format)', () => {
  it('given rows, then a line each with the values tab-separated', () => {
    expect(
      copyText([
        [1, 'order-1', 2, '{"a":1}'],
        [1, 'order-2', 1, '{}'],
      ]),
    ).toBe('1\torder-1\t2\t{"a":1}\n1\torder-2\t1\t{}\n');
  });

  it("given values holding COPY's own characters, then each is escaped, so none ends a value, a row or the data", () => {
    const text = copyText([['a\tb', 'c\nd', 'e\rf', 'back\\slash', '\\N', '\\.']]);

    expect(text).toBe('a\\tb\tc\\nd\te\\rf\tback\\\\slash\t\\\\N\t\\\\.\n');
    expect(text.split('\n')).toEqual([expect.any(String), '']);
    expect(text.slice(0, -1).split('\t')).toHaveLength(6);
  });

  it('given no rows, then no text', () => {
    expect(copyText([])).toBe('');
  });
});
