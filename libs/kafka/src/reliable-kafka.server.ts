import {
  Catch,
  Logger,
  type DynamicModule,
  type INestApplication,
  type INestMicroservice,
  type LoggerService,
  type LogLevel,
  type RpcExceptionFilter,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Server,
  type AsyncMicroserviceOptions,
  type CustomTransportStrategy,
  type MessageHandler,
  type MicroserviceOptions,
  type NestMicroservice,
} from '@nestjs/microservices';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import { KafkaBatchContext, type KafkaBatchItem } from './kafka-batch.context';
import type { KafkaClient } from './kafka-client';
import type { KafkaMetrics } from './kafka.metrics';
import type { ConsumedRecord, TopicPartition, TopicPartitionOffset } from './kafka.types';
import {
  ReliableConsumer,
  type BatchHandler,
  type ConsumedBatch,
  type ConsumerStatus,
  type ReliableConsumerOptions,
} from './reliable-consumer';
import type { ReliableProducer } from './reliable-producer';

/** The transport id of `ReliableKafkaServer`, for `@EventPattern(topic, extras, transport)`. */
export const RELIABLE_KAFKA_TRANSPORT = Symbol('RELIABLE_KAFKA_TRANSPORT');

/** Offsets kept with the handler's results (for example a checkpoint table), to resume from. */
export interface StoredOffsets {
  storedOffsets(assigned: TopicPartition[]): Promise<TopicPartitionOffset[]>;
}

export interface ReliableKafkaServerOptions<T> extends Omit<
  ReliableConsumerOptions,
  'topics' | 'logger'
> {
  /** Throws for a record that can never be processed: it goes to the DLQ, the partition moves on. */
  decode: (record: ConsumedRecord) => T;
  /** Where to resume on assignment, even behind Kafka's committed offsets; those when absent. */
  offsets?: StoredOffsets;
  /**
   * The topic each `@EventPattern` consumes, for patterns that are logical names (the topic's
   * name is configuration: decorators are static); a pattern not listed is the topic's name.
   */
  topics?: Record<string, string>;
}

export type ReliableKafkaStatus = 'listening' | 'closed';

/**
 * A @nestjs/microservices transport on `ReliableConsumer`: handlers are declared the Nest way,
 * `@EventPattern(topic, { batch: true })` on a controller, with `@Payload()` the partition
 * batch's decoded items (`KafkaBatchItem<T>[]`, in offset order) and `@Ctx()` a
 * `KafkaBatchContext`. Guards, interceptors, pipes and exception filters wrap the handler as
 * they do an HTTP route.
 *
 * Everything the consumer guarantees holds: auto-commit off, the batch's offset committed only
 * after the handler's promise (or observable) completed, stored offsets loaded and sought on
 * assignment, undecodable records to the DLQ, failing batches retried then split down to the
 * record at fault, which goes to the DLQ; a crashed kafkajs consumer replaced; readiness and
 * metrics as for any consumer of the app. A handler error, a guard's refusal or a pipe's
 * rejection is a failed batch: never committed, never dropped silently.
 *
 * Exception filters see the handler's errors; what a filter returns is the outcome, as for
 * HTTP: an observable that errors (or a throw) fails the batch, one that completes counts as
 * handled. Nest's default filter would replace every error with `{status, message}`, hiding
 * what the retry policy looks at (`retriable`, a PostgreSQL code): connect the server with
 * `connectReliableKafka` or `createReliableKafkaMicroservice`, which install
 * `KafkaErrorPassThroughFilter` as the last resort instead.
 *
 * One consumer group per server, one handler per topic; the topics subscribed to are those of
 * the handlers (`topics` maps a logical pattern to its configured topic). Built by
 * `KafkaModule.forTransport`.
 */
export class ReliableKafkaServer<T = unknown>
  extends Server<Record<string, never>, ReliableKafkaStatus>
  implements CustomTransportStrategy
{
  override readonly transportId = RELIABLE_KAFKA_TRANSPORT;
  private consumer?: ReliableConsumer<T>;
  /** Topic → the pattern of its handler. */
  private readonly patterns = new Map<string, string>();
  private closing?: Promise<void>;

  constructor(
    private readonly client: KafkaClient,
    private readonly options: ReliableKafkaServerOptions<T>,
    private readonly deadLetters: ReliableProducer,
    private readonly metrics: KafkaMetrics,
  ) {
    super();
    // Readiness reports the transport from boot: not consuming until listen() (an app that
    // forgot to start its microservices is not ready).
    client.watch({ status: () => this.consumerStatus() });
  }

  /** Subscribes to the handlers' topics and starts consuming (connection failures retry). */
  listen(callback: (error?: unknown) => void): void {
    this.start().then(
      () => callback(),
      (error: unknown) => callback(error),
    );
  }

  /** Lets the batch in progress finish and commit, then leaves the group. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.consumer?.stop();
      this._status$.next('closed');
    })();
    return this.closing;
  }

  /** Nest lifecycle (the server is a provider): stop consuming before pools and clients close. */
  beforeApplicationShutdown(): Promise<void> {
    return this.close();
  }

  on(): never {
    throw new Error('ReliableKafkaServer has no events to listen to; readiness reports its state');
  }

  unwrap<U>(): U {
    if (!this.consumer) throw new Error('ReliableKafkaServer is not listening yet');
    return this.consumer as U;
  }

  /** The topics of the registered batch handlers; refuses what this transport cannot serve. */
  handledTopics(): string[] {
    const topics: string[] = [];
    for (const [pattern, handler] of this.messageHandlers) {
      if (!handler.isEventHandler) {
        throw new Error(
          `@MessagePattern(${pattern}): a Kafka topic has no one to reply to; use @EventPattern(topic, { batch: true })`,
        );
      }
      if ((handler.extras as { batch?: unknown } | undefined)?.batch !== true) {
        throw new Error(
          `@EventPattern(${pattern}) needs { batch: true }: ReliableKafkaServer hands over whole partition batches`,
        );
      }
      if (handler.next) {
        throw new Error(
          `@EventPattern(${pattern}) is declared more than once: one handler per topic, since a batch is committed once`,
        );
      }
      const topic = this.options.topics?.[pattern] ?? pattern;
      if (this.patterns.has(topic) && this.patterns.get(topic) !== pattern) {
        throw new Error(
          `@EventPattern(${pattern}) and @EventPattern(${this.patterns.get(topic)}) both consume ${topic}`,
        );
      }
      this.patterns.set(topic, pattern);
      topics.push(topic);
    }
    if (topics.length === 0) {
      throw new Error('ReliableKafkaServer has no @EventPattern(topic, { batch: true }) handler');
    }
    return topics;
  }

  private async start(): Promise<void> {
    // Closed (a shutdown that came first) or started already: nothing to start.
    if (this.consumer || this.closing) return;
    const { decode, offsets, ...consumerOptions } = this.options;
    const handler: BatchHandler<T> = {
      decode,
      handleBatch: (batch) => this.dispatch(batch),
      ...(offsets && { storedOffsets: (assigned) => offsets.storedOffsets(assigned) }),
    };
    this.consumer = new ReliableConsumer(
      this.client.kafka,
      {
        ...this.client.consumerSettings,
        ...consumerOptions,
        topics: this.handledTopics(),
        logger: new Logger(`Consumer ${consumerOptions.groupId}`),
      },
      handler,
      this.deadLetters,
      this.metrics,
    );
    await this.consumer.start();
    this._status$.next('listening');
  }

  /** One partition batch through the handler's Nest pipeline; resolves once it completed. */
  private async dispatch(batch: ConsumedBatch<T>): Promise<void> {
    const handler = this.messageHandlers.get(this.patterns.get(batch.topic) ?? batch.topic) as
      MessageHandler<KafkaBatchItem<T>[], KafkaBatchContext> | undefined;
    // Cannot happen: the consumer subscribes to the handlers' topics only.
    if (!handler) throw new Error(`no handler for topic ${batch.topic}`);
    const { items } = batch;
    const context = new KafkaBatchContext({
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: items.length > 0 ? items[0].record.offset : null,
      lastOffset: items.length > 0 ? items[items.length - 1].record.offset : null,
      nextOffset: batch.nextOffset,
      highWatermark: batch.highWatermark,
      heartbeat: batch.heartbeat,
    });
    const run = async () => {
      const result: unknown = await handler(items, context);
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    };
    // Nest's processing hooks (instrumentation) wrap the handler as in its own transports.
    await new Promise<void>((resolve, reject) => {
      this.onProcessingStartHook(this.transportId, context, () => {
        const done = run();
        done.then(resolve, reject);
        return done;
      });
    });
    this.onProcessingEndHook?.(this.transportId, context);
  }

  private consumerStatus(): ConsumerStatus {
    if (this.consumer) return this.consumer.status();
    return {
      group: this.options.groupId,
      consuming: false,
      reason: this.closing ? 'stopped' : 'the Kafka transport is not listening (yet)',
      member: false,
      lastBatchAt: null,
      lastFetchAt: null,
    };
  }
}

/**
 * The last-resort filter of a `ReliableKafkaServer` microservice: the handler's error reaches
 * the consumer as it was thrown, so its retry policy can tell a database outage from a poison
 * record. Filters of a controller or method still come first.
 */
@Catch()
export class KafkaErrorPassThroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/**
 * Makes the app hybrid: its `ReliableKafkaServer` (from `KafkaModule.forTransport`) as a
 * microservice, started by `app.startAllMicroservices()`. The app is initialised already, so the
 * listeners are registered here, after the pass-through filter (filters are bound at
 * registration), exactly as `connectMicroservice` would otherwise do on its own.
 */
export function connectReliableKafka(app: INestApplication): INestMicroservice {
  const microservice = app.connectMicroservice<MicroserviceOptions>(
    { strategy: app.get(ReliableKafkaServer) },
    { deferInitialization: true },
  ) as NestMicroservice;
  microservice.useGlobalFilters(new KafkaErrorPassThroughFilter());
  microservice.registerListeners();
  microservice.setIsInitialized(true);
  microservice.setIsInitHookCalled(true);
  return microservice;
}

/** A Kafka-only app: `module` imports `KafkaModule.forTransport`; `listen()` starts consuming. */
export async function createReliableKafkaMicroservice(
  module: Type | DynamicModule,
  options: { logger?: LoggerService | LogLevel[] | false } = {},
): Promise<INestMicroservice> {
  const microservice = await NestFactory.createMicroservice<AsyncMicroserviceOptions>(module, {
    useFactory: (server: ReliableKafkaServer) => ({ strategy: server }),
    inject: [ReliableKafkaServer],
    ...options,
  });
  microservice.useGlobalFilters(new KafkaErrorPassThroughFilter());
  return microservice;
}
