import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { InvalidEnvironmentError } from '@app/config';
import { idempotencyConfig, type IdempotencyOptions } from './orders/idempotency.config';
import { outboxConfig, type OutboxRelayOptions } from './outbox/outbox.config';

@Injectable()
class Consumer {
  constructor(
    @Inject(outboxConfig.KEY) readonly outbox: OutboxRelayOptions,
    @Inject(idempotencyConfig.KEY) readonly idempotency: IdempotencyOptions,
  ) {}
}

@Module({
  imports: [ConfigModule.forFeature(outboxConfig), ConfigModule.forFeature(idempotencyConfig)],
  providers: [Consumer],
})
class ConsumerModule {}

const env = {
  DATABASE_URL: 'postgres://order_command@db.example/orders_write',
  ORDER_EVENTS_TOPIC: 'orders-x',
  OUTBOX_BATCH_SIZE: '250',
  OUTBOX_POLL_INTERVAL_MS: '700',
  OUTBOX_LEADER_RETRY_MS: '300',
  OUTBOX_LEADER_LEASE_MS: '4000',
  IDEMPOTENCY_KEY_RETENTION_HOURS: '48',
  IDEMPOTENCY_KEY_CLEANUP_INTERVAL_MS: '60000',
};

/** The command-service's registerAs configs, as its modules inject them. */
describe('command-service config per concern', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  async function consumer(): Promise<Consumer> {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true }), ConsumerModule],
    }).compile();
    return moduleRef.get(Consumer);
  }

  it('injects typed options read from the environment where they are used', async () => {
    process.env = { ...saved, ...env };

    const { outbox, idempotency } = await consumer();
    expect(outbox).toEqual({
      databaseUrl: env.DATABASE_URL,
      topic: 'orders-x',
      batchSize: 250,
      pollIntervalMs: 700,
      leaderRetryMs: 300,
      leaseMs: 4_000,
    });
    expect(idempotency).toEqual({ retentionHours: 48, cleanupIntervalMs: 60_000 });
  });

  it('refuses a bad environment with one line per problem', async () => {
    process.env = { ...saved, ...env, OUTBOX_BATCH_SIZE: '0', OUTBOX_LEADER_LEASE_MS: 'soon' };

    const failure = consumer();
    await expect(failure).rejects.toThrow(InvalidEnvironmentError);
    await expect(failure).rejects.toMatchObject({
      problems: [
        expect.stringMatching(/^OUTBOX_BATCH_SIZE: .*\(got "0"\)$/),
        expect.stringMatching(/^OUTBOX_LEADER_LEASE_MS: .*\(got "soon"\)$/),
      ],
    });
  });
});
