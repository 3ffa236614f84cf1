import { Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MetricsRegistry } from '@app/http-platform';
import { OrderViewReaderModule } from '../orders/order-view-reader.module';
import { OrderViewReader } from '../orders/order-view.reader';
import { readYourWritesConfig, type ReadYourWritesOptions } from './read-your-writes.config';
import { registerReadYourWritesMetrics } from './read-your-writes.metrics';
import { VersionWaiters } from './version-waiters';
import { ViewChangeListener } from './view-change-listener';

const logger = new Logger('ReadYourWrites');

/** Waiting for the view to reach a version: one waiter registry and one listener per process. */
@Module({
  imports: [ConfigModule.forFeature(readYourWritesConfig), OrderViewReaderModule],
  providers: [
    {
      provide: VersionWaiters,
      // One lookup for every waited-on order, through the pool (the listener's session only
      // listens).
      useFactory: (reader: OrderViewReader, options: ReadYourWritesOptions) =>
        new VersionWaiters({
          fetchVersions: (orderIds) => reader.versions(orderIds),
          maxWaiters: options.maxWaiters,
          pollIntervalMs: options.pollIntervalMs,
          onFetchError: (error) =>
            logger.warn(`looking up waited-on versions failed: ${(error as Error).message}`),
        }),
      inject: [OrderViewReader, readYourWritesConfig.KEY],
    },
    {
      provide: ViewChangeListener,
      useFactory: (
        waiters: VersionWaiters,
        registry: MetricsRegistry,
        options: ReadYourWritesOptions,
      ) => {
        const listener = new ViewChangeListener({
          databaseUrl: options.databaseUrl,
          onChange: () => waiters.viewChanged(),
        });
        registerReadYourWritesMetrics(registry, waiters, listener);
        return listener;
      },
      inject: [VersionWaiters, MetricsRegistry, readYourWritesConfig.KEY],
    },
  ],
  exports: [VersionWaiters],
})
export class ReadYourWritesModule {}
