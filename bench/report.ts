/** Printing shared by the benches. */

/** `GET 503: 3, POST socket hang up: 1`, or `none`. */
export function formatFailures(failures: ReadonlyMap<string, number>): string {
  const list = [...failures].map(([what, count]) => `${what}: ${count}`);
  return list.length === 0 ? 'none' : list.join(', ');
}

/** What each app printed (at LOG_LEVEL=warn: warnings and errors), the first `first` lines each. */
export function printAppLogs(logs: Record<string, string[]>, first = 20): void {
  for (const [name, lines] of Object.entries(logs)) {
    if (lines.length === 0) continue;
    console.log(`\n${name} printed ${lines.length} lines (first ${first}):`);
    for (const line of lines.slice(0, first)) console.log(`  ${line}`);
  }
}
