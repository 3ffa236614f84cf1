import { Module, type DynamicModule } from '@nestjs/common';
import type { ReadYourWritesOptions } from '../read-your-writes/read-your-writes.config';
import { ReadYourWritesModule } from '../read-your-writes/read-your-writes.module';
import { OrderQueryHandler } from './order-query.handler';
import { OrderViewReader } from './order-view.reader';
import { OrdersController } from './orders.controller';

@Module({})
export class OrdersModule {
  static forRoot(readYourWrites: ReadYourWritesOptions): DynamicModule {
    return {
      module: OrdersModule,
      imports: [ReadYourWritesModule.forRoot(readYourWrites)],
      controllers: [OrdersController],
      providers: [OrderViewReader, OrderQueryHandler],
    };
  }
}
