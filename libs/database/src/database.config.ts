import { getConfigToken, registerAs } from '@nestjs/config';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

export class DatabaseEnv {
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL!: string;

  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_MAX: number = 10;

  /**
   * Requests that may wait for a connection when all are busy; the next one is refused at once
   * (503 OVERLOADED, Retry-After). Room for a burst (200 read-your-writes readers woken by one
   * notification), small enough that the queue drains in about a second at the pool's pace.
   */
  @IsInt()
  @Min(0)
  @Max(100_000)
  DATABASE_POOL_MAX_WAITING: number = 1_000;

  /** A statement running longer is cancelled (57014, retried as transient). */
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_STATEMENT_TIMEOUT_MS: number = 15_000;

  /** A statement waiting longer for a lock is cancelled (55P03, retried as transient). */
  @IsInt()
  @Min(100)
  @Max(600_000)
  DATABASE_LOCK_TIMEOUT_MS: number = 5_000;
}

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  poolMaxWaiting: number;
  /** Shown in pg_stat_activity, so a connection can be traced to its app. */
  applicationName: string;
  /** Unset: statements may run and wait for locks unbounded (the migrations' own connections). */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

export function databaseOptionsFromEnv(env: DatabaseEnv, applicationName: string): DatabaseOptions {
  return {
    url: env.DATABASE_URL,
    poolMax: env.DATABASE_POOL_MAX,
    poolMaxWaiting: env.DATABASE_POOL_MAX_WAITING,
    applicationName,
    statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: env.DATABASE_LOCK_TIMEOUT_MS,
  };
}

/** The token `databaseConfig` registers under: `@Inject(DATABASE_CONFIG) options: DatabaseOptions`. */
export const DATABASE_CONFIG = getConfigToken('database');

/**
 * An app's database settings as a typed config (`registerAs('database')`), from the DatabaseEnv
 * main.ts validated with the rest of the environment (one line per problem, before the app is
 * built), so it cannot fail here. DatabaseModule injects it into the DataSource's factory.
 */
export function databaseConfig(env: DatabaseEnv, applicationName: string) {
  return registerAs('database', (): DatabaseOptions =>
    databaseOptionsFromEnv(env, applicationName),
  );
}
