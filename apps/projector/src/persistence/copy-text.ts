/**
 * Rows in COPY's text format: a line per row, a tab between columns, and within a value a
 * backslash, tab, newline or carriage return escaped, so no value can end a row or the data or
 * read as `\N` (NULL). Callers give no NULs: PostgreSQL's text holds none.
 */
export function copyText(rows: Iterable<readonly (string | number)[]>): string {
  let text = '';
  for (const row of rows) {
    text += row.map((value) => copyValue(String(value))).join('\t');
    text += '\n';
  }
  return text;
}

const COPY_SPECIAL = /[\\\t\n\r]/g;
const COPY_ESCAPED: Readonly<Record<string, string>> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

function copyValue(value: string): string {
  return value.replace(COPY_SPECIAL, (char) => COPY_ESCAPED[char]);
}
