import type { ClientBase } from 'pg';

/**
 * Takes the relay lease (`outbox_relay_lease`) for `leaseMs` when it has expired, when `holder`
 * already holds it (a reconnect), or when the session that took it has ended (a crash or a stop:
 * no need to wait for the expiry). Returns the new term, or undefined while another live
 * instance holds an unexpired lease.
 */
export async function acquireRelayLease(
  connection: ClientBase,
  holder: string,
  leaseMs: number,
): Promise<string | undefined> {
  const { rows } = await connection.query<{ term: string }>(
    `UPDATE outbox_relay_lease AS lease
        SET term = lease.term + 1, holder = $1, holder_pid = pg_backend_pid(),
            expires_at = now() + $2 * interval '1 millisecond'
      WHERE lease.expires_at <= now()
         OR lease.holder = $1
         OR NOT EXISTS (SELECT 1 FROM pg_stat_activity AS s WHERE s.pid = lease.holder_pid)
  RETURNING lease.term::text AS term`,
    [holder, leaseMs],
  );
  return rows[0]?.term;
}

/** Extends the lease of `term`; false once another holder has taken it since. */
async function renewRelayLease(
  connection: ClientBase,
  term: string,
  leaseMs: number,
): Promise<boolean> {
  const { rowCount } = await connection.query(
    `UPDATE outbox_relay_lease SET expires_at = now() + $2 * interval '1 millisecond'
      WHERE term = $1`,
    [term, leaseMs],
  );
  return rowCount === 1;
}

/**
 * The relay lease as its holder sees it. Renewed every third of `leaseMs` on the holder's
 * connection, it counts as held only until `leaseMs` after the *sending* of the last renewal
 * that succeeded. The database set the expiry from its own clock when the statement ran, which
 * is later still, so the holder stops before any standby can take over; a frozen or cut-off
 * holder thus stops on its own, whatever its connection does. `onLost` runs once, when a renewal
 * fails or that moment passes.
 */
export class HeldLease {
  private heldUntil = 0;
  private stopped = false;
  private renewTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;

  private constructor(
    private readonly connection: ClientBase,
    readonly term: string,
    private readonly leaseMs: number,
    private readonly onLost: (reason: string) => void,
  ) {}

  /** Takes the lease and keeps renewing it; undefined while another instance holds it. */
  static async take(
    connection: ClientBase,
    holder: string,
    leaseMs: number,
    onLost: (reason: string) => void,
  ): Promise<HeldLease | undefined> {
    const sentAt = performance.now();
    const term = await acquireRelayLease(connection, holder, leaseMs);
    if (term === undefined) return undefined;
    const lease = new HeldLease(connection, term, leaseMs, onLost);
    lease.extend(sentAt);
    return lease;
  }

  get held(): boolean {
    return !this.stopped && performance.now() < this.heldUntil;
  }

  /** Stops renewing; the lease then runs out, or frees up when the holder's session ends. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.expiryTimer);
  }

  private extend(sentAt: number): void {
    if (this.stopped) return;
    this.heldUntil = sentAt + this.leaseMs;
    clearTimeout(this.expiryTimer);
    this.expiryTimer = setTimeout(
      () => this.lose(`not renewed within ${this.leaseMs} ms`),
      this.heldUntil - performance.now(),
    );
    this.renewTimer = setTimeout(() => void this.renew(), this.leaseMs / 3);
  }

  private async renew(): Promise<void> {
    const sentAt = performance.now();
    try {
      if (await renewRelayLease(this.connection, this.term, this.leaseMs)) this.extend(sentAt);
      else this.lose('another instance took it over');
    } catch (error) {
      this.lose(`renewal failed: ${(error as Error).message}`);
    }
  }

  private lose(reason: string): void {
    if (this.stopped) return;
    this.stop();
    this.onLost(reason);
  }
}
