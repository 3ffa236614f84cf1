import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DatabaseModule, DatabaseReadinessCheck } from '@app/database';
import { PlatformModule } from '@app/http-platform';
import { KafkaModule, KafkaReadinessCheck, kafkaOptionsFromEnv } from '@app/kafka';
import { orderEventTopics } from '@app/order-events';
import type { CommandServiceConfig } from './command-service.config';
import { writeDatabaseOptions } from './database/write-database';
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
        DatabaseModule.forRoot({
          applicationName: APP_NAME,
          env: config.database,
          dataSource: writeDatabaseOptions,
        }),
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
        // The environment itself, no .env file: each concern's registerAs factory reads and
        // validates its own variables (main.ts checked them all at once before this).
        ConfigModule.forRoot({ ignoreEnvFile: true }),
        OrdersModule,
        OutboxModule,
      ],
    };
  }
}
