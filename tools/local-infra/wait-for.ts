export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Says what was awaited when the deadline passes. */
  description: string;
}

/** Thrown by a probe when waiting longer cannot help: waitFor rethrows it at once. */
export class StopWaiting extends Error {}

/**
 * Polls `probe` until it returns a value other than undefined/false, or throws once the deadline
 * passes. Errors thrown by the probe count as "not yet" (the last one is reported on timeout),
 * except StopWaiting, which ends the wait.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs, intervalMs = 250, description }: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const result = await probe();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      if (error instanceof StopWaiting) throw error;
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Settles like `promise`, or rejects once `ms` passed; the timer never outlives the race. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
