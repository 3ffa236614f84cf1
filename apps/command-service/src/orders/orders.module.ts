import { Module } from '@nestjs/common';
import { IdempotencyKeys } from './idempotency-keys';
import { OrderCommandHandler } from './order-command.handler';
import { OrderEventStore } from './order-event-store';
import { OrdersController } from './orders.controller';

@Module({
  controllers: [OrdersController],
  providers: [OrderEventStore, IdempotencyKeys, OrderCommandHandler],
})
export class OrdersModule {}
