import { Module } from '@nestjs/common';
import { OrderViewReader } from './order-view.reader';
import { PostgresOrderViewReader } from './postgres-order-view.reader';

/** The read model's reader, for the query handler and read-your-writes' version lookups. */
@Module({
  providers: [{ provide: OrderViewReader, useClass: PostgresOrderViewReader }],
  exports: [OrderViewReader],
})
export class OrderViewReaderModule {}
