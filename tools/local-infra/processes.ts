import { readFileSync, writeFileSync } from 'node:fs';

/**
 * A process the launchers started, as its pid file names it. A pid file outlives its process
 * (a crash, a reboot) and the pid may since belong to another, so the start time is kept too.
 */
export interface StartedProcess {
  pid: number;
  /** Clock ticks after boot (/proc/<pid>/stat, field 22); absent in older pid files. */
  startTime?: string;
}

/** The process's start time, or undefined when it is gone (or there is no /proc). */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Writes `pid` and its start time, right after spawning it. */
export function writePidFile(file: string, pid: number): void {
  writeFileSync(file, `${pid}\n${processStartTime(pid) ?? ''}\n`);
}

export function readPidFile(file: string): StartedProcess | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const [pidText = '', startTime] = text.trim().split('\n');
  const pid = Number(pidText.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return startTime?.trim() ? { pid, startTime: startTime.trim() } : { pid };
}

/**
 * True when `started` is alive and still the process that was started: the same start time when
 * it was recorded, and `marker` (a data directory, a config file) one of its arguments exactly. A
 * substring would not do: `…/data` is part of `…/data2`, another cluster's directory.
 */
export function isProcessRunning(started: StartedProcess, marker: string): boolean {
  const { pid, startTime } = started;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    // No /proc (not Linux): trust the signal check.
    return true;
  }
  if (startTime !== undefined && processStartTime(pid) !== startTime) return false;
  return argv.includes(marker);
}

export async function waitForExit(
  started: StartedProcess,
  marker: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isProcessRunning(started, marker)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isProcessRunning(started, marker);
}

/**
 * Sends `signal`, then SIGKILL if the process outlives `graceMs`. Resolves once it is gone.
 * Each signal is sent only after checking that the pid is still the process started.
 */
export async function terminate(
  started: StartedProcess,
  marker: string,
  { signal = 'SIGTERM', graceMs = 20_000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
): Promise<void> {
  if (!isProcessRunning(started, marker)) return;
  process.kill(started.pid, signal);
  if (await waitForExit(started, marker, graceMs)) return;
  process.kill(started.pid, 'SIGKILL');
  await waitForExit(started, marker, 10_000);
}
