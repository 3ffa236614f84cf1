import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { Pool } from 'pg';
import { MetricsRegistry } from '@app/http-platform';
import type { ReadYourWritesOptions } from './read-your-writes.config';
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
@Module({})
export class ReadYourWritesModule {
  static forRoot(options: ReadYourWritesOptions): DynamicModule {
    return {
      module: ReadYourWritesModule,
      providers: [
        {
          provide: VersionWaiters,
          useFactory: (pool: Pool) =>
            new VersionWaiters({
              fetchVersions: (orderIds) => fetchViewVersions(pool, orderIds),
              maxWaiters: options.maxWaiters,
              pollIntervalMs: options.pollIntervalMs,
              onFetchError: (error) =>
                logger.warn(`looking up waited-on versions failed: ${(error as Error).message}`),
            }),
          inject: [Pool],
        },
        {
          provide: ViewChangeListener,
          useFactory: (waiters: VersionWaiters, registry: MetricsRegistry) => {
            const listener = new ViewChangeListener({
              databaseUrl: options.databaseUrl,
              onChange: () => waiters.viewChanged(),
            });
            registerReadYourWritesMetrics(registry, waiters, listener);
            return listener;
          },
          inject: [VersionWaiters, MetricsRegistry],
        },
      ],
      exports: [VersionWaiters],
    };
  }
}
