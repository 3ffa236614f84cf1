import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Pool } from 'pg';
import { BoundedPool } from './bounded-pool';
import type { DatabaseOptions } from './database.config';
import { DatabaseReadinessCheck } from './database.readiness';

const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');
const logger = new Logger('Database');

/** Ends the pool once the HTTP server has stopped taking requests. */
@Injectable()
class PoolCloser implements OnApplicationShutdown {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      providers: [
        { provide: DATABASE_OPTIONS, useValue: options },
        {
          provide: Pool,
          useFactory: () => {
            const pool = new BoundedPool(
              {
                connectionString: options.url,
                max: options.poolMax,
                application_name: options.applicationName,
                // A request waits this long for a connection, then fails as "unavailable" (503);
                // beyond maxWaiting queued requests, one is refused at once (503 OVERLOADED).
                connectionTimeoutMillis: 5_000,
                keepAlive: true,
                // Nothing waits on the database unbounded: a lock held by a migration or an
                // operator's session, or a stuck statement, fails the work (a transient error that
                // is retried) instead of hanging it, so a consumer's batch cannot stall unseen.
                statement_timeout: options.statementTimeoutMs,
                lock_timeout: options.lockTimeoutMs,
                idle_in_transaction_session_timeout: 60_000,
              },
              options.poolMaxWaiting,
            );
            // A pooled connection that PostgreSQL drops (restart, failover) emits 'error'; without
            // a listener Node would end the process. The pool replaces the connection.
            pool.on('error', (error) => logger.warn(`database connection lost: ${error.message}`));
            return pool;
          },
        },
        PoolCloser,
        DatabaseReadinessCheck,
      ],
      exports: [Pool, DatabaseReadinessCheck],
    };
  }
}
