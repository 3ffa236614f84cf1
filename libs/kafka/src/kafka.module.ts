import {
  Logger,
  Module,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  type Type,
} from '@nestjs/common';
import { MetricsRegistry } from '@app/http-platform';
import type { KafkaModuleOptions } from './kafka.config';
import { KafkaClient } from './kafka-client';
import { KafkaMetrics } from './kafka.metrics';
import { KafkaReadinessCheck } from './kafka.readiness';
import { durableProducerSettings } from './producer-settings';
import {
  ReliableConsumer,
  type BatchHandler,
  type ReliableConsumerOptions,
} from './reliable-consumer';
import { ReliableProducer } from './reliable-producer';
import {
  ReliableKafkaServer,
  type ReliableKafkaServerOptions,
  type StoredOffsets,
} from './reliable-kafka.server';

export interface KafkaTransportRegistration<T> extends Omit<
  ReliableKafkaServerOptions<T>,
  'offsets'
> {
  /** A provider class of the app keeping the offsets stored with the results; added here. */
  offsets?: Type<StoredOffsets>;
  /** Modules whose providers `offsets` injects. */
  imports?: ModuleMetadata['imports'];
}

const KAFKA_MODULE_OPTIONS = Symbol('KAFKA_MODULE_OPTIONS');

export interface KafkaModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: never[]) => KafkaModuleOptions | Promise<KafkaModuleOptions>;
  inject?: FactoryProvider['inject'];
}

export interface KafkaConsumerRegistration<T> extends Omit<ReliableConsumerOptions, 'logger'> {
  /** A provider class of the app; it is added to this module's providers. */
  handler: Type<BatchHandler<T>>;
  /** Modules whose providers the handler injects. */
  imports?: ModuleMetadata['imports'];
}

/**
 * Every app talks to Kafka through this module. Building it refuses producer settings weaker
 * than acks=all + idempotence + one in-flight request; booting it creates missing topics and, in
 * strict durability, refuses to start when a topic or the brokers fall short of the contract.
 *
 * Consumers are declared either the Nest way, `KafkaModule.forTransport` and
 * `@EventPattern(topic, { batch: true })` handlers served by `ReliableKafkaServer`, or with
 * `KafkaModule.forConsumer` and a `BatchHandler` provider. Both run on `ReliableConsumer`:
 * whole partition batches, the offset to store with the results, seeking on assignment.
 */
@Module({})
export class KafkaModule {
  static forRootAsync(options: KafkaModuleAsyncOptions): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: KAFKA_MODULE_OPTIONS,
          inject: options.inject ?? [],
          useFactory: async (...args: never[]) => {
            const resolved = await options.useFactory(...args);
            durableProducerSettings(resolved.producer); // throws UnsafeKafkaSettingsError
            return resolved;
          },
        },
        {
          provide: KafkaMetrics,
          inject: [{ token: MetricsRegistry, optional: true }],
          useFactory: (registry?: MetricsRegistry) => new KafkaMetrics(registry),
        },
        {
          provide: KafkaClient,
          inject: [KAFKA_MODULE_OPTIONS],
          useFactory: (resolved: KafkaModuleOptions) =>
            new KafkaClient(resolved, new Logger('Kafka')),
        },
        {
          provide: ReliableProducer,
          inject: [KafkaClient, KAFKA_MODULE_OPTIONS, KafkaMetrics],
          useFactory: (client: KafkaClient, resolved: KafkaModuleOptions, metrics: KafkaMetrics) =>
            new ReliableProducer(
              client.kafka,
              durableProducerSettings(resolved.producer),
              metrics,
              {
                expectedPartitions: client.expectedPartitions,
                untilReachable: (work) => client.untilReachable(work),
              },
            ),
        },
        KafkaReadinessCheck,
      ],
      exports: [KafkaClient, ReliableProducer, KafkaMetrics, KafkaReadinessCheck],
    };
  }

  /** A consumer group whose batches go to `handler`; started after boot, stopped first at shutdown. */
  static forConsumer<T>(registration: KafkaConsumerRegistration<T>): DynamicModule {
    const { handler, imports = [], ...consumerOptions } = registration;
    return {
      module: KafkaModule,
      imports,
      providers: [
        handler,
        {
          provide: ReliableConsumer,
          inject: [KafkaClient, handler, ReliableProducer, KafkaMetrics],
          useFactory: (
            client: KafkaClient,
            batchHandler: BatchHandler<T>,
            deadLetters: ReliableProducer,
            metrics: KafkaMetrics,
          ) => {
            const consumer = new ReliableConsumer(
              client.kafka,
              {
                ...client.consumerSettings,
                ...consumerOptions,
                logger: new Logger(`Consumer ${registration.groupId}`),
              },
              batchHandler,
              deadLetters,
              metrics,
            );
            client.watch(consumer);
            return consumer;
          },
        },
      ],
      exports: [ReliableConsumer, handler],
    };
  }

  /**
   * The app's `ReliableKafkaServer`: a @nestjs/microservices transport whose consumer group
   * serves the app's `@EventPattern(topic, { batch: true })` handlers. Connect it with
   * `connectReliableKafka(app)` (hybrid app) or `createReliableKafkaMicroservice(module)`.
   */
  static forTransport<T>(registration: KafkaTransportRegistration<T>): DynamicModule {
    const { offsets, imports = [], ...serverOptions } = registration;
    return {
      module: KafkaModule,
      imports,
      providers: [
        ...(offsets ? [offsets] : []),
        {
          provide: ReliableKafkaServer,
          inject: [KafkaClient, ReliableProducer, KafkaMetrics, ...(offsets ? [offsets] : [])],
          useFactory: (
            client: KafkaClient,
            deadLetters: ReliableProducer,
            metrics: KafkaMetrics,
            storedOffsets?: StoredOffsets,
          ) =>
            new ReliableKafkaServer<T>(
              client,
              { ...serverOptions, offsets: storedOffsets },
              deadLetters,
              metrics,
            ),
        },
      ],
      exports: [ReliableKafkaServer, ...(offsets ? [offsets] : [])],
    };
  }
}
