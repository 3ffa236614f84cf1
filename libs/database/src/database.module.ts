import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { Pool } from 'pg';
import type { DataSourceOptions } from 'typeorm';
import {
  databaseConfig,
  DATABASE_CONFIG,
  type DatabaseEnv,
  type DatabaseOptions,
} from './database.config';
import { dataSourcePool, openDataSource, type PostgresDataSourceOptions } from './data-source';
import { DatabaseReadinessCheck } from './database.readiness';

export interface DatabaseModuleOptions {
  /** Shown in pg_stat_activity, so a connection can be traced to its app. */
  applicationName: string;
  /** The app's database environment, validated by main.ts with the rest of it. */
  env: DatabaseEnv;
  /** The database's DataSource options factory (the write side's or the read model's). */
  dataSource: (connection: DatabaseOptions) => PostgresDataSourceOptions;
}

/**
 * The app's one database: a TypeORM DataSource (TypeOrmModule, so repositories and
 * `@InjectDataSource()` work), and its own pg pool under the `Pool` token for the raw SQL that is
 * the design. One pool, one config, one lifecycle: TypeOrmModule destroys the DataSource, and so
 * ends the pool once, in onApplicationShutdown, after the HTTP server stopped taking requests.
 */
@Module({})
export class DatabaseModule {
  static forRoot({ applicationName, env, dataSource }: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        // registerAs configs need ConfigModule's host; the environment itself, no .env file.
        ConfigModule.forRoot({ ignoreEnvFile: true }),
        TypeOrmModule.forRootAsync({
          imports: [ConfigModule.forFeature(databaseConfig(env, applicationName))],
          inject: [DATABASE_CONFIG],
          // A DataSource that cannot even be built (an entity's metadata) is a bug: no retries.
          useFactory: (connection: DatabaseOptions) => ({
            ...dataSource(connection),
            retryAttempts: 0,
          }),
          // Opened without connecting: an app starts while PostgreSQL is away (see openDataSource).
          dataSourceFactory: (options?: DataSourceOptions) => openDataSource(options!),
        }),
      ],
      providers: [
        { provide: Pool, inject: [getDataSourceToken()], useFactory: dataSourcePool },
        DatabaseReadinessCheck,
      ],
      exports: [Pool, DatabaseReadinessCheck],
    };
  }
}
