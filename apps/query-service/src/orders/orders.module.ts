import { Module } from '@nestjs/common';
import { ReadYourWritesModule } from '../read-your-writes/read-your-writes.module';
import { OrderQueryHandler } from './order-query.handler';
import { OrderViewReader } from './order-view.reader';
import { OrdersController } from './orders.controller';

@Module({
  imports: [ReadYourWritesModule],
  controllers: [OrdersController],
  providers: [OrderViewReader, OrderQueryHandler],
})
export class OrdersModule {}
