import { AsyncResource } from 'node:async_hooks';
import type { BeforeApplicationShutdown } from '@nestjs/common';

/** The current view version of each of `orderIds` that is in the view; absent ones are not. */
export type FetchVersions = (orderIds: readonly string[]) => Promise<ReadonlyMap<string, number>>;

export interface WaitRefusal {
  readonly reached: false;
  /** The last version seen for the order; 0 while it is not in the view. */
  readonly currentVersion: number;
  readonly reason: 'timeout' | 'overloaded' | 'aborted' | 'closing';
}

export type WaitOutcome = { readonly reached: true; readonly version: number } | WaitRefusal;

export interface WaitRequest {
  readonly orderId: string;
  readonly minVersion: number;
  readonly timeoutMs: number;
  /** The version the caller read before waiting (0 when the order was not in the view). */
  readonly currentVersion: number;
  /**
   * changeMark() taken before that read: when the view changed since, the change may have been
   * announced before this waiter existed, so the versions are looked up again at once.
   */
  readonly since?: number;
  /** The client went away: stop waiting. */
  readonly signal?: AbortSignal;
}

export interface VersionWaitersOptions {
  fetchVersions: FetchVersions;
  /** Waiters at once; more are refused at once (reason `overloaded`). */
  maxWaiters: number;
  /** While anyone waits, versions are looked up this often even without a notification. */
  pollIntervalMs: number;
  /** A failed lookup; waiters keep waiting for the next notification or poll. */
  onFetchError?: (error: unknown) => void;
}

interface Waiter {
  readonly orderId: string;
  readonly minVersion: number;
  currentVersion: number;
  settle(outcome: WaitOutcome): void;
}

/**
 * Requests waiting for the view to reach a version (read-your-writes), one registry per process.
 * However many requests wait, the view is asked with ONE query for all waited-on orders: when a
 * change is announced (viewChanged) and on one shared poll timer while anyone waits. A change
 * announced while a query runs leads to exactly one more query afterwards, not one per change.
 * Each waiter ends by its own deadline, so a stuck or failing lookup never holds a request
 * beyond the time it asked to wait.
 */
export class VersionWaiters implements BeforeApplicationShutdown {
  private readonly byOrder = new Map<string, Set<Waiter>>();
  private waiting = 0;
  private changes = 0;
  private fetching = false;
  private fetchAgain = false;
  private poll?: NodeJS.Timeout;
  private closed = false;
  private queries = 0;
  /**
   * Lookups and the poll serve every waiter, so they run in the registry's own async context,
   * not in that of the request that happened to start them (whose id the logs would then show).
   */
  private readonly scope = new AsyncResource('VersionWaiters');

  constructor(private readonly options: VersionWaitersOptions) {}

  /** Requests waiting now. */
  get size(): number {
    return this.waiting;
  }

  /** Version lookups run so far (each covers every waiter). */
  get versionQueries(): number {
    return this.queries;
  }

  /** A token for "the view as the caller is about to read it"; see WaitRequest.since. */
  changeMark(): number {
    return this.changes;
  }

  wait(request: WaitRequest): Promise<WaitOutcome> {
    const { orderId, minVersion, timeoutMs, currentVersion, since, signal } = request;
    const refusal = (reason: WaitRefusal['reason']): WaitRefusal => ({
      reached: false,
      currentVersion,
      reason,
    });
    if (this.closed) return Promise.resolve(refusal('closing'));
    if (signal?.aborted) return Promise.resolve(refusal('aborted'));
    if (timeoutMs <= 0) return Promise.resolve(refusal('timeout'));
    if (this.waiting >= this.options.maxWaiters) return Promise.resolve(refusal('overloaded'));

    return new Promise<WaitOutcome>((resolve) => {
      const onAbort = () => waiter.settle(refusal('aborted'));
      const timer = setTimeout(
        () => waiter.settle({ ...refusal('timeout'), currentVersion: waiter.currentVersion }),
        timeoutMs,
      );
      const waiter: Waiter = {
        orderId,
        minVersion,
        currentVersion,
        settle: (outcome) => {
          if (!this.remove(waiter)) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.add(waiter);
      if (since !== undefined && since !== this.changes) this.lookUp();
    });
  }

  /** The view changed (a NOTIFY, or the listener reconnected and may have missed some). */
  viewChanged(): void {
    this.changes++;
    this.lookUp();
  }

  /** Ends every wait (503 to the caller, who retries elsewhere) so shutdown is not held up. */
  close(): void {
    this.closed = true;
    this.stopPolling();
    for (const waiters of [...this.byOrder.values()]) {
      for (const waiter of [...waiters]) {
        waiter.settle({ reached: false, currentVersion: waiter.currentVersion, reason: 'closing' });
      }
    }
  }

  beforeApplicationShutdown(): void {
    this.close();
  }

  private add(waiter: Waiter): void {
    let waiters = this.byOrder.get(waiter.orderId);
    if (!waiters) this.byOrder.set(waiter.orderId, (waiters = new Set()));
    waiters.add(waiter);
    this.waiting++;
    // One timer for all waiters, running only while there are some.
    this.poll ??= setInterval(
      this.scope.bind(() => this.lookUp()),
      this.options.pollIntervalMs,
    ).unref();
  }

  /** False when the waiter was already gone (settled twice: a deadline racing a lookup). */
  private remove(waiter: Waiter): boolean {
    const waiters = this.byOrder.get(waiter.orderId);
    if (!waiters?.delete(waiter)) return false;
    if (waiters.size === 0) this.byOrder.delete(waiter.orderId);
    if (--this.waiting === 0) this.stopPolling();
    return true;
  }

  private stopPolling(): void {
    clearInterval(this.poll);
    this.poll = undefined;
  }

  /** Starts a lookup, or asks the running one for one more round. */
  private lookUp(): void {
    if (this.waiting === 0) return;
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = true;
    this.scope.runInAsyncScope(() => void this.fetchRounds());
  }

  private async fetchRounds(): Promise<void> {
    try {
      do {
        this.fetchAgain = false;
        const orderIds = [...this.byOrder.keys()];
        if (orderIds.length === 0) return;
        this.queries++;
        let versions: ReadonlyMap<string, number>;
        try {
          versions = await this.options.fetchVersions(orderIds);
        } catch (error) {
          // The next notification or poll tries again; each waiter still ends by its deadline.
          this.options.onFetchError?.(error);
          return;
        }
        this.release(orderIds, versions);
      } while (this.fetchAgain);
    } finally {
      // In the same synchronous step as the last check of fetchAgain: no request is lost between.
      this.fetching = false;
    }
  }

  private release(orderIds: readonly string[], versions: ReadonlyMap<string, number>): void {
    // Only the orders asked about: one first waited on during the query is not known to be absent.
    for (const orderId of orderIds) {
      const version = versions.get(orderId) ?? 0;
      for (const waiter of [...(this.byOrder.get(orderId) ?? [])]) {
        // A waiter that joined during the query may have read a newer version than it saw.
        waiter.currentVersion = Math.max(waiter.currentVersion, version);
        if (version >= waiter.minVersion) waiter.settle({ reached: true, version });
      }
    }
  }
}
