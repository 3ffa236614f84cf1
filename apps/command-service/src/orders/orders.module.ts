import { Module, type DynamicModule } from '@nestjs/common';
import { IdempotencyKeyCleanup } from './idempotency-key-cleanup';
import { IdempotencyKeys } from './idempotency-keys';
import { IDEMPOTENCY_OPTIONS, type IdempotencyOptions } from './idempotency.config';
import { OrderCommandHandler } from './order-command.handler';
import { OrderEventStore } from './order-event-store';
import { PostgresOrderEventStore } from './postgres-order-event-store';
import { OrdersController } from './orders.controller';

@Module({})
export class OrdersModule {
  static forRoot(idempotency: IdempotencyOptions): DynamicModule {
    return {
      module: OrdersModule,
      controllers: [OrdersController],
      providers: [
        { provide: IDEMPOTENCY_OPTIONS, useValue: idempotency },
        { provide: OrderEventStore, useClass: PostgresOrderEventStore },
        IdempotencyKeys,
        IdempotencyKeyCleanup,
        OrderCommandHandler,
      ],
    };
  }
}
