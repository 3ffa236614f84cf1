import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DatabaseModule, DatabaseReadinessCheck } from '@app/database';
import { PlatformModule } from '@app/http-platform';
import { KafkaModule, KafkaReadinessCheck, kafkaOptionsFromEnv } from '@app/kafka';
import { decodeOrderEventRecord, orderEventTopics } from '@app/order-events';
import { readDatabaseOptions } from '@app/order-view';
import { AdminController } from './admin/admin.controller';
import { adminConfig } from './admin/admin.config';
import { AdminTokenGuard } from './admin/admin-token.guard';
import { ProjectionStatusReader } from './admin/projection-status';
import { LiveOrderViewController, ORDER_EVENTS } from './live/live-order-view.controller';
import { LiveOrderViewHandler } from './live/live-order-view.handler';
import { ProjectionPersistenceModule } from './persistence/projection-persistence.module';
import { projectionConfig } from './projection.config';
import type { ProjectorConfig } from './projector.config';
import { mapProjectorError } from './projector-error-mapper';
import { ProjectorMetrics } from './projector.metrics';
import { OrderViewReplays } from './replay/order-view-replays';
import { isRetriableProjectionError } from './replay/replay-run';
import { FETCH_MAX_BYTES_PER_PARTITION } from './view/consumed-batches';
import { OrderViewWriter } from './view/order-view-writer';

const APP_NAME = 'projector';

const projectionConfigModule = ConfigModule.forFeature(projectionConfig);

/**
 * The view's writer, its persistence and metrics, and the projection's config: shared by the
 * live consumer, the replays and the admin API.
 */
@Module({
  imports: [ProjectionPersistenceModule, projectionConfigModule],
  providers: [OrderViewWriter, ProjectorMetrics],
  exports: [ProjectionPersistenceModule, projectionConfigModule, OrderViewWriter, ProjectorMetrics],
})
class ProjectionModule {}

@Module({})
export class ProjectorModule {
  static forRoot(config: ProjectorConfig): DynamicModule {
    const topics = orderEventTopics(config.orderEvents);
    return {
      module: ProjectorModule,
      imports: [
        DatabaseModule.forRoot({
          applicationName: APP_NAME,
          env: config.database,
          dataSource: readDatabaseOptions,
        }),
        KafkaModule.forRootAsync({
          useFactory: () =>
            kafkaOptionsFromEnv(config.kafka, APP_NAME, [topics.events, topics.deadLetters]),
        }),
        PlatformModule.forRoot({
          appName: APP_NAME,
          logLevel: config.http.LOG_LEVEL,
          readinessChecks: [DatabaseReadinessCheck, KafkaReadinessCheck],
          mapError: mapProjectorError,
        }),
        // The environment itself, no .env file: each concern's registerAs factory reads and
        // validates its own variables (main.ts checked them all at once before this).
        ConfigModule.forRoot({ ignoreEnvFile: true }),
        ConfigModule.forFeature(adminConfig),
        ProjectionModule,
        // The live projection: LiveOrderViewController's batches, served by ReliableKafkaServer
        // (connected in main.ts); replays run consumers of their own.
        KafkaModule.forTransport({
          groupId: config.projection.PROJECTOR_GROUP_ID,
          topics: { [ORDER_EVENTS]: topics.events.name },
          decode: decodeOrderEventRecord,
          deadLetterTopic: () => topics.deadLetters.name,
          offsets: LiveOrderViewHandler,
          imports: [ProjectionModule],
          partitionsConsumedConcurrently: config.projection.PROJECTOR_PARTITIONS_CONCURRENTLY,
          maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
          isRetriable: isRetriableProjectionError,
        }),
      ],
      controllers: [AdminController, LiveOrderViewController],
      providers: [AdminTokenGuard, ProjectionStatusReader, OrderViewReplays],
    };
  }
}
