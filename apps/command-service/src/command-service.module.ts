import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, DatabaseReadinessCheck, databaseOptionsFromEnv } from '@app/database';
import { PlatformModule } from '@app/http-platform';
import { KafkaModule, KafkaReadinessCheck, kafkaOptionsFromEnv } from '@app/kafka';
import { orderEventTopics } from '@app/order-events';
import type { CommandServiceConfig } from './command-service.config';
import { mapOrderError } from './orders/order-error-mapper';
import { OrdersModule } from './orders/orders.module';
import { OutboxModule } from './outbox/outbox.module';

const APP_NAME = 'command-service';

@Module({})
export class CommandServiceModule {
  static forRoot(config: CommandServiceConfig): DynamicModule {
    return {
      module: CommandServiceModule,
      imports: [
        DatabaseModule.forRoot(databaseOptionsFromEnv(config.database, APP_NAME)),
        KafkaModule.forRootAsync({
          useFactory: () => {
            const topics = orderEventTopics(config.orderEvents);
            return kafkaOptionsFromEnv(config.kafka, APP_NAME, [topics.events]);
          },
        }),
        PlatformModule.forRoot({
          appName: APP_NAME,
          logLevel: config.http.LOG_LEVEL,
          readinessChecks: [DatabaseReadinessCheck, KafkaReadinessCheck],
          mapError: mapOrderError,
        }),
        OrdersModule.forRoot({
          retentionHours: config.idempotency.IDEMPOTENCY_KEY_RETENTION_HOURS,
          cleanupIntervalMs: config.idempotency.IDEMPOTENCY_KEY_CLEANUP_INTERVAL_MS,
        }),
        OutboxModule.forRoot({
          databaseUrl: config.database.DATABASE_URL,
          topic: config.orderEvents.ORDER_EVENTS_TOPIC,
          batchSize: config.outbox.OUTBOX_BATCH_SIZE,
          pollIntervalMs: config.outbox.OUTBOX_POLL_INTERVAL_MS,
          leaderRetryMs: config.outbox.OUTBOX_LEADER_RETRY_MS,
          leaseMs: config.outbox.OUTBOX_LEADER_LEASE_MS,
        }),
      ],
    };
  }
}
