import { Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Pool } from 'pg';
import { MetricsRegistry } from '@app/http-platform';
import { readYourWritesConfig, type ReadYourWritesOptions } from './read-your-writes.config';
import { registerReadYourWritesMetrics } from './read-your-writes.metrics';
import { VersionWaiters } from './version-waiters';
import { ViewChangeListener } from './view-change-listener';

const logger = new Logger('ReadYourWrites');

/** One lookup for every waited-on order, through the pool (the listener's session only listens). */
async function fetchViewVersions(
  pool: Pool,
  orderIds: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ order_id: string; version: number }>(
    'SELECT order_id, version FROM current_order_view WHERE order_id = ANY($1::text[])',
    [orderIds],
  );
  return new Map(rows.map((row) => [row.order_id, row.version]));
}

/** Waiting for the view to reach a version: one waiter registry and one listener per process. */
@Module({
  imports: [ConfigModule.forFeature(readYourWritesConfig)],
  providers: [
    {
      provide: VersionWaiters,
      useFactory: (pool: Pool, options: ReadYourWritesOptions) =>
        new VersionWaiters({
          fetchVersions: (orderIds) => fetchViewVersions(pool, orderIds),
          maxWaiters: options.maxWaiters,
          pollIntervalMs: options.pollIntervalMs,
          onFetchError: (error) =>
            logger.warn(`looking up waited-on versions failed: ${(error as Error).message}`),
        }),
      inject: [Pool, readYourWritesConfig.KEY],
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
