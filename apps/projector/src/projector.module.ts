import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, DatabaseReadinessCheck, databaseOptionsFromEnv } from '@app/database';
import { PlatformModule } from '@app/http-platform';
import { KafkaModule, KafkaReadinessCheck, kafkaOptionsFromEnv } from '@app/kafka';
import { orderEventTopics } from '@app/order-events';
import type { ProjectorConfig } from './projector.config';

const APP_NAME = 'projector';

@Module({})
export class ProjectorModule {
  static forRoot(config: ProjectorConfig): DynamicModule {
    return {
      module: ProjectorModule,
      imports: [
        DatabaseModule.forRoot(databaseOptionsFromEnv(config.database, APP_NAME)),
        KafkaModule.forRootAsync({
          useFactory: () => {
            const topics = orderEventTopics(config.orderEvents);
            return kafkaOptionsFromEnv(config.kafka, APP_NAME, [topics.events, topics.deadLetters]);
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
