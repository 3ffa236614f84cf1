import { Pool, type PoolClient, type PoolConfig } from 'pg';

type ConnectCallback = (
  err: Error | undefined,
  client: PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/** The pool's queue is full: the work is refused at once rather than left waiting. */
export class DatabaseOverloadedError extends Error {
  /** Transient: the same work succeeds once the load has passed. */
  readonly retriable = true;

  constructor(readonly waiting: number) {
    super(`${waiting} requests are already waiting for a database connection`);
    this.name = 'DatabaseOverloadedError';
  }
}

export interface BoundedPoolConfig extends PoolConfig {
  /** Callers that may wait for a connection when all are busy; the next is refused at once. */
  maxWaiting: number;
}

/**
 * A pg Pool whose queue of callers waiting for a connection is bounded. Offered more than the
 * database can take, an unbounded queue only grows: every request waits longer, until each one
 * times out and the service answers nothing useful. Bounded, the excess is refused at once
 * (the apps answer 503 OVERLOADED with Retry-After) and the queued requests still get through in
 * about the time the queue takes to drain.
 */
export class BoundedPool extends Pool {
  private readonly maxWaiting: number;

  /** One argument, as pg's own Pool takes it: TypeORM's driver constructs it (see data-source.ts). */
  constructor({ maxWaiting, ...config }: BoundedPoolConfig) {
    super(config);
    this.maxWaiting = maxWaiting;
  }

  override connect(): Promise<PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<PoolClient> | void {
    // pool.query() connects through here too, with a callback. Only callers that will wait count
    // against the bound: with a bound of 0, a free connection is still handed out. pg-pool queues
    // even a caller an idle connection will serve and serves its queue on the next tick, so a
    // burst within one tick sees the same idleCount: the queued callers beyond the idle
    // connections are the ones waiting.
    const full = this.totalCount >= (this.options.max ?? 10);
    if (full && this.waitingCount - this.idleCount >= this.maxWaiting) {
      const refusal = new DatabaseOverloadedError(this.waitingCount);
      if (!callback) return Promise.reject(refusal);
      process.nextTick(() => callback(refusal, undefined, () => undefined));
      return;
    }
    return callback ? super.connect(callback) : super.connect();
  }
}
