import { Module, type DynamicModule } from '@nestjs/common';
import { DatabaseModule, DatabaseReadinessCheck } from '@app/database';
import { PlatformModule } from '@app/http-platform';
import { KafkaModule, KafkaReadinessCheck, kafkaOptionsFromEnv } from '@app/kafka';
import { decodeOrderEventRecord, orderEventTopics } from '@app/order-events';
import { readDatabaseOptions } from '@app/order-view';
import { AdminController } from './admin/admin.controller';
import { ADMIN_TOKEN, AdminTokenGuard } from './admin/admin-token.guard';
import { ProjectionStatusReader } from './admin/projection-status';
import { LiveOrderViewController, ORDER_EVENTS } from './live/live-order-view.controller';
import { LiveOrderViewHandler } from './live/live-order-view.handler';
import type { ProjectorConfig } from './projector.config';
import { mapProjectorError } from './projector-error-mapper';
import { ProjectorMetrics } from './projector.metrics';
import {
  FETCH_MAX_BYTES_PER_PARTITION,
  PROJECTOR_OPTIONS,
  type ProjectorOptions,
} from './projector.options';
import { OrderViewReplays } from './replay/order-view-replays';
import { isRetriableProjectionError } from './replay/replay-run';
import { OrderViewWriter } from './view/order-view-writer';

const APP_NAME = 'projector';

/** The view's writer and metrics, shared by the live consumer, the replays and the admin API. */
@Module({})
class ProjectionModule {
  static forRoot(options: ProjectorOptions): DynamicModule {
    return {
      module: ProjectionModule,
      providers: [
        { provide: PROJECTOR_OPTIONS, useValue: options },
        OrderViewWriter,
        ProjectorMetrics,
      ],
      exports: [PROJECTOR_OPTIONS, OrderViewWriter, ProjectorMetrics],
    };
  }
}

@Module({})
export class ProjectorModule {
  static forRoot(config: ProjectorConfig): DynamicModule {
    const topics = orderEventTopics(config.orderEvents);
    const projection = ProjectionModule.forRoot({
      topic: topics.events.name,
      deadLetterTopic: topics.deadLetters.name,
      groupId: config.projection.PROJECTOR_GROUP_ID,
      partitionsConsumedConcurrently: config.projection.PROJECTOR_PARTITIONS_CONCURRENTLY,
    });
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
        projection,
        // The live projection: LiveOrderViewController's batches, served by ReliableKafkaServer
        // (connected in main.ts); replays run consumers of their own.
        KafkaModule.forTransport({
          groupId: config.projection.PROJECTOR_GROUP_ID,
          topics: { [ORDER_EVENTS]: topics.events.name },
          decode: decodeOrderEventRecord,
          deadLetterTopic: () => topics.deadLetters.name,
          offsets: LiveOrderViewHandler,
          imports: [projection],
          partitionsConsumedConcurrently: config.projection.PROJECTOR_PARTITIONS_CONCURRENTLY,
          maxBytesPerPartition: FETCH_MAX_BYTES_PER_PARTITION,
          isRetriable: isRetriableProjectionError,
        }),
      ],
      controllers: [AdminController, LiveOrderViewController],
      providers: [
        { provide: ADMIN_TOKEN, useValue: config.admin.ADMIN_TOKEN },
        AdminTokenGuard,
        ProjectionStatusReader,
        OrderViewReplays,
      ],
    };
  }
}
