import { registerAs, type ConfigType } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';
import { OrderEventsTopicEnv } from '@app/order-events';

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

/**
 * The relay's options, injected with `@Inject(outboxConfig.KEY)`. main.ts has checked the whole
 * environment before the app is built (loadConfig, one line per problem), so this cannot fail there.
 */
export const outboxConfig = registerAs('outbox', () => {
  const { outbox, database, orderEvents } = loadConfig({
    outbox: OutboxEnv,
    database: DatabaseEnv,
    orderEvents: OrderEventsTopicEnv,
  });
  return {
    databaseUrl: database.DATABASE_URL,
    topic: orderEvents.ORDER_EVENTS_TOPIC,
    batchSize: outbox.OUTBOX_BATCH_SIZE,
    pollIntervalMs: outbox.OUTBOX_POLL_INTERVAL_MS,
    leaderRetryMs: outbox.OUTBOX_LEADER_RETRY_MS,
    leaseMs: outbox.OUTBOX_LEADER_LEASE_MS,
  };
});

export type OutboxRelayOptions = ConfigType<typeof outboxConfig>;
