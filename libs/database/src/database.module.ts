import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Pool } from 'pg';
import type { DatabaseOptions } from './database.config';
import { DatabaseReadinessCheck } from './database.readiness';

const DATABASE_OPTIONS = Symbol('DATABASE_OPTIONS');

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
          useFactory: () =>
            new Pool({
              connectionString: options.url,
              max: options.poolMax,
              application_name: options.applicationName,
            }),
        },
        PoolCloser,
        DatabaseReadinessCheck,
      ],
      exports: [Pool, DatabaseReadinessCheck],
    };
  }
}
