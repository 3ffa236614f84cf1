import { registerAs, type ConfigType } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { loadConfig } from '@app/config';
import { DatabaseEnv } from '@app/database';

export class ReadYourWritesEnv {
  /**
   * Requests waiting for the view (minVersion) at once. Each holds a socket and a timer; beyond
   * this a request is answered 503 at once rather than adding to a pile-up.
   */
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  QUERY_WAIT_MAX_WAITERS: number = 10_000;

  /** Waiters wake on NOTIFY; this poll covers notifications missed while the listener reconnects. */
  @IsInt()
  @Min(50)
  @Max(60_000)
  QUERY_WAIT_POLL_INTERVAL_MS: number = 1_000;
}

/**
 * Injected with `@Inject(readYourWritesConfig.KEY)`. main.ts has checked the whole environment
 * before the app is built (loadConfig, one line per problem), so this cannot fail there.
 */
export const readYourWritesConfig = registerAs('readYourWrites', () => {
  const { readYourWrites, database } = loadConfig({
    readYourWrites: ReadYourWritesEnv,
    database: DatabaseEnv,
  });
  return {
    /** The listener's own connection (LISTEN needs a session that is not handed back to a pool). */
    databaseUrl: database.DATABASE_URL,
    maxWaiters: readYourWrites.QUERY_WAIT_MAX_WAITERS,
    pollIntervalMs: readYourWrites.QUERY_WAIT_POLL_INTERVAL_MS,
  };
});

export type ReadYourWritesOptions = ConfigType<typeof readYourWritesConfig>;
