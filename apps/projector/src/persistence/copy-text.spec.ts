import { copyData, textArrayLiteral } from './copy-text';

/** The data as text, to compare with what COPY reads. */
const textOf = (rows: (string | number)[][]): string => copyData(rows).toString('utf8');

describe('copyData (COPY ... FROM STDIN, text format)', () => {
  it('given rows, then a line each with the values tab-separated', () => {
    expect(
      textOf([
        [1, 'order-1', 2, '{"a":1}'],
        [1, 'order-2', 1, '{}'],
      ]),
    ).toBe('1\torder-1\t2\t{"a":1}\n1\torder-2\t1\t{}\n');
  });

  it("given values holding COPY's own characters, then each is escaped, so none ends a value, a row or the data", () => {
    const text = textOf([
      ['a\tb', 'c\nd', 'e\rf', 'back\\slash', '\\N', '\\.', 'plain', 7, '\t\\\n'],
    ]);

    expect(text).toBe('a\\tb\tc\\nd\te\\rf\tback\\\\slash\t\\\\N\t\\\\.\tplain\t7\t\\t\\\\\\n\n');
    expect(text.split('\n')).toEqual([expect.any(String), '']);
    expect(text.slice(0, -1).split('\t')).toHaveLength(9);
  });

  it('given no rows, then no data', () => {
    expect(copyData([])).toHaveLength(0);
  });

  it('given characters of two, three and four bytes in UTF-8, then every byte of every row', () => {
    const rows = [
      ['order-é', '{"name":"Zoë"}'],
      ['order-€', '{"note":"😀 ✓"}'],
      ['plain', 'ascii'],
    ];
    const expected = 'order-é\t{"name":"Zoë"}\norder-€\t{"note":"😀 ✓"}\nplain\tascii\n';

    const data = copyData(rows);

    expect(data.toString('utf8')).toBe(expected);
    expect(data).toHaveLength(Buffer.byteLength(expected));
  });

  it('given a lone surrogate, then the bytes Buffer.from gives it (U+FFFD), the rest in place', () => {
    const data = copyData([['a\ud800b', 'c']]);

    expect([...data]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62, 0x09, 0x63, 0x0a]);
  });
});

describe('textArrayLiteral (text[] input)', () => {
  it('given values and nulls, then each value quoted and each null NULL', () => {
    expect(textArrayLiteral(['e-1', null, 'e-3'])).toBe('{"e-1",NULL,"e-3"}');
    expect(textArrayLiteral([])).toBe('{}');
  });

  it("given values holding the array's own characters, then none ends an element or the array, nor reads as NULL", () => {
    expect(textArrayLiteral(['a"b', 'c\\d', 'e,f', '{g}', 'NULL', '', ' h '])).toBe(
      '{"a\\"b","c\\\\d","e,f","{g}","NULL",""," h "}',
    );
  });
});
