import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

export class DatabaseEnv {
  @IsString()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// connection URL' })
  DATABASE_URL!: string;

  @IsInt()
  @Min(1)
  @Max(500)
  DATABASE_POOL_MAX: number = 10;
}

export interface DatabaseOptions {
  url: string;
  poolMax: number;
  /** Shown in pg_stat_activity, so a connection can be traced to its app. */
  applicationName: string;
}

export function databaseOptionsFromEnv(env: DatabaseEnv, applicationName: string): DatabaseOptions {
  return { url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX, applicationName };
}
