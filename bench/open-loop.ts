import { performance } from 'node:perf_hooks';

export interface OpenLoopSchedule {
  /** Operations started. */
  sent: number;
  /** Seconds from the first start to the last. */
  sendingSeconds: number;
  /** The most an operation started after its due time: the driver itself falling behind. */
  maxLagMs: number;
}

/**
 * An open loop, as users arrive: `start(due)` is called `rate` times a second for `seconds`,
 * whether or not earlier operations have completed; one that falls behind its due time starts as
 * soon as the driver gets to it. Resolves once every started operation has. Operations time
 * themselves from `due` (a `performance.now()` time), so that the driver's own delays count
 * against the system driven rather than hide it (coordinated omission).
 */
export async function scheduleOpenLoop(
  rate: number,
  seconds: number,
  start: (due: number) => Promise<void>,
): Promise<OpenLoopSchedule> {
  const schedule: OpenLoopSchedule = { sent: 0, sendingSeconds: 0, maxLagMs: 0 };
  const begin = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < Math.round(rate * seconds); index++) {
    const due = begin + (index * 1000) / rate;
    const early = due - performance.now();
    if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
    schedule.maxLagMs = Math.max(schedule.maxLagMs, performance.now() - due);
    schedule.sent++;
    schedule.sendingSeconds = (performance.now() - begin) / 1000;
    pending.push(start(due));
  }
  await Promise.all(pending);
  return schedule;
}

export interface OpenLoopResult {
  offered: number;
  /** Operations completed per second, from the first due to the last completed. */
  achieved: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  maxLagMs: number;
}

/** `operation` on an open loop, each timed from its due time to its completion. */
export async function runOpenLoop(
  rate: number,
  seconds: number,
  operation: () => Promise<unknown>,
): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  let failures = 0;
  let lastDone = 0;
  const begin = performance.now();
  const { maxLagMs } = await scheduleOpenLoop(rate, seconds, (due) =>
    operation().then(
      () => {
        lastDone = performance.now();
        latencies.push(lastDone - due);
      },
      () => void failures++,
    ),
  );
  return {
    offered: rate,
    achieved: latencies.length / ((lastDone - begin) / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures,
    maxLagMs,
  };
}

/** The value below which `p` percent of `values` lie (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
