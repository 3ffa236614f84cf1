import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { DatabaseModule, DatabaseReadinessCheck } from '@app/database';
import { PlatformModule } from '@app/http-platform';
import { readDatabaseOptions } from '@app/order-view';
import { mapQueryError } from './orders/order-error-mapper';
import { OrdersModule } from './orders/orders.module';
import type { QueryServiceConfig } from './query-service.config';

const APP_NAME = 'query-service';

@Module({})
export class QueryServiceModule {
  static forRoot(config: QueryServiceConfig): DynamicModule {
    return {
      module: QueryServiceModule,
      imports: [
        DatabaseModule.forRoot({
          applicationName: APP_NAME,
          env: config.database,
          dataSource: readDatabaseOptions,
        }),
        PlatformModule.forRoot({
          appName: APP_NAME,
          logLevel: config.http.LOG_LEVEL,
          readinessChecks: [DatabaseReadinessCheck],
          mapError: mapQueryError,
        }),
        // The environment itself, no .env file: each concern's registerAs factory reads and
        // validates its own variables (main.ts checked them all at once before this).
        ConfigModule.forRoot({ ignoreEnvFile: true }),
        OrdersModule,
      ],
    };
  }
}
