import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Pool } from 'pg';
import { IdempotencyKeys } from './idempotency-keys';
import { idempotencyConfig, type IdempotencyOptions } from './idempotency.config';

/**
 * Deletes expired idempotency keys every IDEMPOTENCY_KEY_CLEANUP_INTERVAL_MS on every instance
 * (concurrent runs are harmless: a row is deleted once). A failed run is logged and the next
 * one tries again; claims never depend on it (an expired key is taken over anyway).
 */
@Injectable()
export class IdempotencyKeyCleanup implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('IdempotencyKeyCleanup');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly pool: Pool,
    private readonly keys: IdempotencyKeys,
    @Inject(idempotencyConfig.KEY) private readonly options: IdempotencyOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.runOnce(), this.options.cleanupIntervalMs);
    this.timer.unref();
    void this.runOnce();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One cleanup pass, unless one is still under way. */
  runOnce(): Promise<void> {
    this.running ??= this.keys
      .deleteExpired(this.pool)
      .then(
        (deleted) => {
          if (deleted > 0) this.logger.log(`deleted ${deleted} expired idempotency key(s)`);
        },
        (error: unknown) =>
          this.logger.warn(`idempotency key cleanup failed: ${(error as Error).message}`),
      )
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
