import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { InvalidEnvironmentError } from '@app/config';
import { adminConfig, type AdminOptions } from './admin/admin.config';
import { projectionConfig, type ProjectionOptions } from './projection.config';

@Injectable()
class Consumer {
  constructor(
    @Inject(projectionConfig.KEY) readonly projection: ProjectionOptions,
    @Inject(adminConfig.KEY) readonly admin: AdminOptions,
  ) {}
}

@Module({
  imports: [ConfigModule.forFeature(projectionConfig), ConfigModule.forFeature(adminConfig)],
  providers: [Consumer],
})
class ConsumerModule {}

const env = {
  ORDER_EVENTS_TOPIC: 'orders-x',
  PROJECTOR_GROUP_ID: 'projector-x',
  PROJECTOR_PARTITIONS_CONCURRENTLY: '3',
  ADMIN_TOKEN: 'an-admin-token-long-enough',
};

/** The projector's registerAs configs, as its modules inject them. */
describe('projector config per concern', () => {
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

    const { projection, admin } = await consumer();
    expect(projection).toEqual({
      topic: 'orders-x',
      deadLetterTopic: 'orders-x.dlq',
      groupId: 'projector-x',
      partitionsConsumedConcurrently: 3,
    });
    expect(admin).toEqual({ token: env.ADMIN_TOKEN });
  });

  it('refuses a bad environment with one line per problem', async () => {
    process.env = { ...saved, ...env, PROJECTOR_PARTITIONS_CONCURRENTLY: '0' };

    const failure = consumer();
    await expect(failure).rejects.toThrow(InvalidEnvironmentError);
    await expect(failure).rejects.toMatchObject({
      problems: [expect.stringMatching(/^PROJECTOR_PARTITIONS_CONCURRENTLY: .*\(got "0"\)$/)],
    });
  });
});
