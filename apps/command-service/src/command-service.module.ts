import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, DatabaseReadinessCheck, databaseOptionsFromEnv } from '@app/database';
import { PlatformModule } from '@app/http-platform';
import { KafkaModule, KafkaReadinessCheck, kafkaOptionsFromEnv } from '@app/kafka';
import { orderEventTopics } from '@app/order-events';
import type { CommandServiceConfig } from './command-service.config';

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
        }),
      ],
    };
  }
}
