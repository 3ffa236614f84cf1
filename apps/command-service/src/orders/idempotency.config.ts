import { registerAs, type ConfigType } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { validateEnv } from '@app/config';

export class IdempotencyEnv {
  /**
   * How long a key answers retries with its first response. Past it the key is free again (a
   * request with it runs anew) and the cleanup job deletes it, so the table does not grow forever.
   */
  @IsInt()
  @Min(1)
  @Max(24 * 365)
  IDEMPOTENCY_KEY_RETENTION_HOURS: number = 24;

  /** How often each instance deletes expired keys. */
  @IsInt()
  @Min(1_000)
  @Max(24 * 60 * 60 * 1_000)
  IDEMPOTENCY_KEY_CLEANUP_INTERVAL_MS: number = 10 * 60 * 1_000;
}

/**
 * Injected with `@Inject(idempotencyConfig.KEY)`. main.ts has checked the whole environment
 * before the app is built (loadConfig, one line per problem), so this cannot fail there.
 */
export const idempotencyConfig = registerAs('idempotency', () => {
  const env = validateEnv(IdempotencyEnv, process.env);
  return {
    retentionHours: env.IDEMPOTENCY_KEY_RETENTION_HOURS,
    cleanupIntervalMs: env.IDEMPOTENCY_KEY_CLEANUP_INTERVAL_MS,
  };
});

export type IdempotencyOptions = ConfigType<typeof idempotencyConfig>;
