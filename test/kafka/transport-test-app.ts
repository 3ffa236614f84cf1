/**
 * The test app of ReliableKafkaServer (reliable-kafka.server.int-spec.ts): a controller whose
 * `@EventPattern(topic, { batch: true })` handler hands each batch to a `BatchSink` the test
 * gives, behind a guard, an interceptor, a pipe on the payload and an exception filter that
 * note what they see in a `Probe`. The guard refuses any batch holding a record whose value is `FORBIDDEN`; the filter
 * catches `SinkError`s only (the rest meets the transport's last-resort filter).
 */
import {
  Catch,
  Controller,
  Injectable,
  Module,
  UseFilters,
  UseGuards,
  UseInterceptors,
  type CallHandler,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type NestInterceptor,
  type PipeTransform,
  type RpcExceptionFilter,
  type ArgumentsHost,
} from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { finalize, throwError, type Observable } from 'rxjs';
import {
  KafkaBatchContext,
  KafkaModule,
  type KafkaBatchItem,
  type KafkaSaslCredentials,
} from '@app/kafka';

/** The handler's pattern: a logical name, bound to the test's topic by the server's `topics`. */
const TEST_EVENTS = 'test-events';

export interface BatchSink {
  handle(items: KafkaBatchItem<string>[], context: KafkaBatchContext): Promise<void>;
}

/** What a sink throws for the controller's exception filter to see. */
export class SinkError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

/** What the enhancers saw, in order: `guard`, `before`, `pipe`, `after`, `filter` entries. */
export class Probe {
  readonly seen: {
    by: 'guard' | 'before' | 'pipe' | 'after' | 'filter';
    partition: number;
    nextOffset: string;
    error?: string;
  }[] = [];

  note(by: Probe['seen'][number]['by'], context: KafkaBatchContext, error?: unknown): void {
    this.seen.push({
      by,
      partition: context.getPartition(),
      nextOffset: context.getNextOffset(),
      ...(error !== undefined && { error: String((error as Error).message ?? error) }),
    });
  }
}

export interface TransportTestAppOptions {
  brokers: string[];
  sasl: KafkaSaslCredentials;
  topic: string;
  partitions: number;
  groupId: string;
  deadLetterTopic?: string;
  sessionTimeoutMs?: number;
  sink: BatchSink;
  probe?: Probe;
}

export function transportTestApp(options: TransportTestAppOptions): DynamicModule {
  const probe = options.probe ?? new Probe();

  @Injectable()
  class NoForbiddenRecords implements CanActivate {
    canActivate(context: ExecutionContext): boolean {
      const rpc = context.switchToRpc();
      probe.note('guard', rpc.getContext<KafkaBatchContext>());
      const items = rpc.getData<KafkaBatchItem<string>[]>();
      return items.every((item) => item.value !== 'FORBIDDEN');
    }
  }

  @Injectable()
  class AroundBatch implements NestInterceptor {
    intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
      const batch = context.switchToRpc().getContext<KafkaBatchContext>();
      probe.note('before', batch);
      return next.handle().pipe(finalize(() => probe.note('after', batch)));
    }
  }

  /** Sees the payload of every batch; the context, as a pipe has none, through the guard's note. */
  @Injectable()
  class NotePayload implements PipeTransform<KafkaBatchItem<string>[]> {
    transform(items: KafkaBatchItem<string>[]): KafkaBatchItem<string>[] {
      const last = probe.seen[probe.seen.length - 1];
      probe.seen.push({ by: 'pipe', partition: last.partition, nextOffset: last.nextOffset });
      return items;
    }
  }

  @Catch(SinkError)
  class NoteAndRethrow implements RpcExceptionFilter<unknown> {
    catch(exception: unknown, host: ArgumentsHost): Observable<never> {
      probe.note('filter', host.switchToRpc().getContext<KafkaBatchContext>(), exception);
      return throwError(() => exception);
    }
  }

  @Controller()
  @UseGuards(NoForbiddenRecords)
  @UseInterceptors(AroundBatch)
  @UseFilters(NoteAndRethrow)
  class BatchController {
    @EventPattern(TEST_EVENTS, { batch: true })
    handle(
      @Payload(NotePayload) items: KafkaBatchItem<string>[],
      @Ctx() context: KafkaBatchContext,
    ): Promise<void> {
      return options.sink.handle(items, context);
    }
  }

  @Module({})
  class TransportTestAppModule {}

  return {
    module: TransportTestAppModule,
    imports: [
      KafkaModule.forRootAsync({
        useFactory: () => ({
          brokers: options.brokers,
          sasl: options.sasl,
          clientId: 'transport-test-app',
          durability: 'strict',
          topics: [
            { name: options.topic, partitions: options.partitions, retention: 'forever' },
            ...(options.deadLetterTopic
              ? [{ name: options.deadLetterTopic, partitions: 1, retention: 'forever' as const }]
              : []),
          ],
          consumer: { sessionTimeoutMs: options.sessionTimeoutMs },
        }),
      }),
      KafkaModule.forTransport({
        groupId: options.groupId,
        topics: { [TEST_EVENTS]: options.topic },
        decode: (record) => record.value!.toString(),
        ...(options.deadLetterTopic && { deadLetterTopic: () => options.deadLetterTopic! }),
      }),
    ],
    controllers: [BatchController],
  };
}
