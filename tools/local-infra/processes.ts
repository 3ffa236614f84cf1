import { readFileSync } from 'node:fs';

/** True when `pid` is alive and its command line contains `marker` (guards against pid reuse). */
export function isProcessRunning(pid: number, marker: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(marker);
  } catch {
    // No /proc (not Linux): trust the signal check.
    return true;
  }
}

export async function waitForExit(
  pid: number,
  marker: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessRunning(pid, marker)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isProcessRunning(pid, marker);
}

/** Sends `signal`, then SIGKILL if the process outlives `graceMs`. Resolves once it is gone. */
export async function terminate(
  pid: number,
  marker: string,
  { signal = 'SIGTERM', graceMs = 20_000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<void> {
  if (!isProcessRunning(pid, marker)) return;
  process.kill(pid, signal);
  if (await waitForExit(pid, marker, graceMs)) return;
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, marker, 10_000);
}
