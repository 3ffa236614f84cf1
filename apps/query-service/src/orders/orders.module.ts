import { Module } from '@nestjs/common';
import { ReadYourWritesModule } from '../read-your-writes/read-your-writes.module';
import { OrderQueryHandler } from './order-query.handler';
import { OrderViewReaderModule } from './order-view-reader.module';
import { OrdersController } from './orders.controller';

@Module({
  imports: [OrderViewReaderModule, ReadYourWritesModule],
  controllers: [OrdersController],
  providers: [OrderQueryHandler],
})
export class OrdersModule {}
