import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { InvalidEnvironmentError } from '@app/config';
import {
  readYourWritesConfig,
  type ReadYourWritesOptions,
} from './read-your-writes/read-your-writes.config';

@Injectable()
class Consumer {
  constructor(@Inject(readYourWritesConfig.KEY) readonly readYourWrites: ReadYourWritesOptions) {}
}

@Module({ imports: [ConfigModule.forFeature(readYourWritesConfig)], providers: [Consumer] })
class ConsumerModule {}

const env = {
  DATABASE_URL: 'postgres://order_query@db.example/orders_read',
  QUERY_WAIT_MAX_WAITERS: '20',
  QUERY_WAIT_POLL_INTERVAL_MS: '300',
};

/** The query-service's registerAs configs, as its modules inject them. */
describe('query-service config per concern', () => {
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

    expect((await consumer()).readYourWrites).toEqual({
      databaseUrl: env.DATABASE_URL,
      maxWaiters: 20,
      pollIntervalMs: 300,
    });
  });

  it('refuses a bad environment with one line per problem', async () => {
    process.env = { ...saved, ...env, QUERY_WAIT_POLL_INTERVAL_MS: '10' };

    const failure = consumer();
    await expect(failure).rejects.toThrow(InvalidEnvironmentError);
    await expect(failure).rejects.toMatchObject({
      problems: [expect.stringMatching(/^QUERY_WAIT_POLL_INTERVAL_MS: .*\(got "10"\)$/)],
    });
  });
});
