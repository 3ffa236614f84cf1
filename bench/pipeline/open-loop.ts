import { performance } from 'node:perf_hooks';
import { percentile } from '../queries/read-your-writes';

export interface OpenLoopResult {
  offered: number;
  /** Operations completed per second, from the first started to the last completed. */
  achieved: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

/**
 * Starts `operation` `rate` times a second for `seconds`, whether or not earlier ones have
 * completed (an open loop, as users arrive), and times each from its scheduled start.
 */
export async function runOpenLoop(
  rate: number,
  seconds: number,
  operation: () => Promise<unknown>,
): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  let failures = 0;
  let lastDone = 0;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let index = 0; index < Math.round(rate * seconds); index++) {
    const due = start + (index * 1000) / rate;
    const early = due - performance.now();
    if (early > 0) await new Promise((resolve) => setTimeout(resolve, early));
    pending.push(
      operation().then(
        () => {
          lastDone = performance.now();
          latencies.push(lastDone - due);
        },
        () => void failures++,
      ),
    );
  }
  await Promise.all(pending);
  return {
    offered: rate,
    achieved: latencies.length / ((lastDone - start) / 1000),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures,
  };
}
