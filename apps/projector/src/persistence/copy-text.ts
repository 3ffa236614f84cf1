/**
 * Rows in COPY's text format, encoded: a line per row, a tab between columns, and within a value a
 * backslash, tab, newline or carriage return escaped, so no value can end a row or the data or
 * read as `\N` (NULL). Callers give no NULs: PostgreSQL's text holds none.
 *
 * It runs for every row a large batch copies. Each line is appended value by value (an array
 * per row joined cost 0.9 µs per row against 0.4) and encoded on its own: one string appended
 * over a whole batch is a chain of some 60,000 pieces that V8 has to flatten before encoding it,
 * which cost 1.7-1.8 µs per row against 0.5 (docs/benchmarks.md).
 */
export function copyData(rows: Iterable<readonly (string | number)[]>): Buffer {
  const lines: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    const line = copyLine(row);
    lines.push(line);
    bytes += Buffer.byteLength(line);
  }
  const data = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (const line of lines) offset += data.write(line, offset);
  // Counted and written alike, or the data would end short or carry allocUnsafe's leftovers.
  if (offset !== bytes) throw new Error(`COPY data: wrote ${offset} of ${bytes} bytes`);
  return data;
}

function copyLine(row: readonly (string | number)[]): string {
  let line = '';
  for (let column = 0; column < row.length; column++) {
    if (column > 0) line += '\t';
    line += copyValue(String(row[column]));
  }
  return `${line}\n`;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_SPECIAL_ALL = /[\\\t\n\r]/g;
const COPY_ESCAPED: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** Most values hold none of COPY's characters: a test finds that without a replace's copy. */
function copyValue(value: string): string {
  if (!COPY_SPECIAL.test(value)) return value;
  return value.replace(COPY_SPECIAL_ALL, (char) => COPY_ESCAPED[char]);
}

/**
 * `values` as a text[] literal (`{"a","b",NULL}`): each element quoted, a quote or backslash
 * in it escaped, so no value can end an element or the array or read as NULL.
 */
export function textArrayLiteral(values: readonly (string | null)[]): string {
  let literal = '{';
  for (let index = 0; index < values.length; index++) {
    if (index > 0) literal += ',';
    const value = values[index];
    literal += value === null ? 'NULL' : `"${value.replace(ARRAY_SPECIAL, '\\$&')}"`;
  }
  return `${literal}}`;
}

const ARRAY_SPECIAL = /["\\]/g;
