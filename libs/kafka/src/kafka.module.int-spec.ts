import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigResourceTypes, type Admin } from 'kafkajs';
import {
  kafkaBrokers,
  kafkaCredential,
  testKafka,
  uniqueName,
} from '../../../test/infra/test-infra';
import { waitFor } from '../../../tools/local-infra/wait-for';
import type { KafkaModuleOptions } from './kafka.config';
import { KafkaDurabilityError, UnsafeKafkaSettingsError } from './kafka.errors';
import { KafkaModule } from './kafka.module';
import { KafkaReadinessCheck } from './kafka.readiness';
import { createTopicsAndWait } from './topic-admin';
import type { BatchHandler, ConsumedBatch } from './reliable-consumer';
import { ReliableProducer } from './reliable-producer';
import type { ConsumedRecord } from './kafka.types';

describe('KafkaModule on the real cluster', () => {
  let admin: Admin;
  const modules: TestingModule[] = [];

  beforeAll(async () => {
    admin = testKafka().admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(modules.map((moduleRef) => moduleRef.close()));
    await admin.disconnect();
  });

  async function boot(options: Partial<KafkaModuleOptions>, extraImports: never[] = []) {
    const moduleRef = await Test.createTestingModule({
      imports: [
        KafkaModule.forRootAsync({
          useFactory: () => ({
            brokers: kafkaBrokers(),
            sasl: kafkaCredential(),
            clientId: 'module-test',
            durability: 'strict',
            topics: [],
            ...options,
          }),
        }),
        ...extraImports,
      ],
    }).compile();
    try {
      await moduleRef.init();
    } catch (error) {
      await moduleRef.close().catch(() => undefined);
      throw error;
    }
    modules.push(moduleRef);
    return moduleRef;
  }

  async function createWeakTopic(): Promise<string> {
    const topic = uniqueName('weak');
    await createTopicsAndWait(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    return topic;
  }

  it('strict: refuses to boot on a topic with replication factor 1, naming it', async () => {
    const topic = await createWeakTopic();
    const booting = boot({ topics: [{ name: topic, partitions: 1, retention: 'forever' }] });
    await expect(booting).rejects.toThrow(KafkaDurabilityError);
    await expect(booting).rejects.toThrow(`topic ${topic}: replication.factor is 1, required >= 3`);
  });

  it('relaxed: boots on the same topic and reports the shortfall as a readiness warning', async () => {
    const topic = await createWeakTopic();
    const moduleRef = await boot({
      durability: 'relaxed',
      topics: [{ name: topic, partitions: 1, retention: 'forever' }],
    });
    const readiness = await moduleRef.get(KafkaReadinessCheck).check();
    expect(readiness.warning).toContain('KAFKA_DURABILITY=relaxed');
    expect(readiness.warning).toContain(`topic ${topic}: replication.factor is 1, required >= 3`);
  });

  it('creates a missing event topic with the contract settings', async () => {
    const topic = uniqueName('created');
    await boot({ topics: [{ name: topic, partitions: 4, retention: 'forever' }] });

    // The test's admin may ask a broker the new topic's metadata has not reached yet.
    const metadata = await waitFor(
      () =>
        admin.fetchTopicMetadata({ topics: [topic] }).then(
          ({ topics }) => topics[0],
          () => undefined,
        ),
      { timeoutMs: 30_000, description: `metadata of ${topic} on every broker` },
    );
    expect(metadata.partitions).toHaveLength(4);
    expect(metadata.partitions.every((p) => p.replicas.length === 3)).toBe(true);
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    });
    const configs = Object.fromEntries(
      resources[0].configEntries.map((entry) => [entry.configName, entry.configValue]),
    );
    expect(configs).toMatchObject({
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
      'retention.ms': '-1',
    });
  });

  it.each([{ acks: 1 }, { idempotent: false }])(
    'refuses to build with a weaker producer (%j)',
    async (weaker) => {
      await expect(boot({ producer: weaker })).rejects.toThrow(UnsafeKafkaSettingsError);
    },
  );

  it('delivers records sent through the module to a consumer declared with forConsumer', async () => {
    const topic = uniqueName('wired');
    @Injectable()
    class CollectingHandler implements BatchHandler<string> {
      readonly seen: string[] = [];
      decode(record: ConsumedRecord): string {
        return record.value!.toString();
      }
      handleBatch(batch: ConsumedBatch<string>): Promise<void> {
        this.seen.push(...batch.items.map((item) => item.value));
        return Promise.resolve();
      }
    }
    const moduleRef = await boot(
      { topics: [{ name: topic, partitions: 3, retention: 'forever' }] },
      [
        KafkaModule.forConsumer({
          groupId: uniqueName('wired-group'),
          topics: [topic],
          handler: CollectingHandler,
        }) as never,
      ],
    );
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}` }));
    await moduleRef.get(ReliableProducer).send(topic, sent);

    const handler = moduleRef.get(CollectingHandler);
    await waitFor(() => handler.seen.length >= sent.length, {
      timeoutMs: 60_000,
      description: 'the consumer to handle all records',
    });
    expect([...handler.seen].sort()).toEqual(sent.map((record) => record.value).sort());
  });
});
