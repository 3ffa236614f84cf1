import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IdempotencyKeyCleanup } from './idempotency-key-cleanup';
import { IdempotencyKeys } from './idempotency-keys';
import { idempotencyConfig } from './idempotency.config';
import { OrderCommandHandler } from './order-command.handler';
import { OrderEventStore } from './order-event-store';
import { PostgresOrderEventStore } from './postgres-order-event-store';
import { OrdersController } from './orders.controller';

@Module({
  imports: [ConfigModule.forFeature(idempotencyConfig)],
  controllers: [OrdersController],
  providers: [
    { provide: OrderEventStore, useClass: PostgresOrderEventStore },
    IdempotencyKeys,
    IdempotencyKeyCleanup,
    OrderCommandHandler,
  ],
})
export class OrdersModule {}
