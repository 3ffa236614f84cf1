import { IsInt, Max, Min } from 'class-validator';

export class OutboxEnv {
  /** Rows published per Kafka send. */
  @IsInt()
  @Min(1)
  @Max(10_000)
  OUTBOX_BATCH_SIZE: number = 500;

  /** The relay wakes on NOTIFY; this poll is the fallback should a notification be missed. */
  @IsInt()
  @Min(50)
  @Max(60_000)
  OUTBOX_POLL_INTERVAL_MS: number = 1_000;

  /** How often a standby instance tries to take the relay over. */
  @IsInt()
  @Min(100)
  @Max(60_000)
  OUTBOX_LEADER_RETRY_MS: number = 2_000;

  /**
   * How long the relay lease lasts without renewal (renewed every third of it). A standby takes
   * over at most this long plus OUTBOX_LEADER_RETRY_MS after the leader fell silent.
   */
  @IsInt()
  @Min(1_000)
  @Max(300_000)
  OUTBOX_LEADER_LEASE_MS: number = 10_000;
}

export interface OutboxRelayOptions {
  databaseUrl: string;
  topic: string;
  batchSize: number;
  pollIntervalMs: number;
  leaderRetryMs: number;
  leaseMs: number;
}
