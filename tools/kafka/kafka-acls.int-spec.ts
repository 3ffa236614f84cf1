import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  logLevel,
  type Kafka,
} from 'kafkajs';
import { appKafkaEnv, kafkaCredential, testKafka, uniqueName } from '../../test/infra/test-infra';
import { OUTSIDER_PRINCIPAL } from '../../test/infra/local-infra';
import { APP_PRINCIPALS, scramSasl } from '../local-infra/kafka-credentials';

/**
 * The cluster admits only SCRAM logins and allows only what provisioning granted: a principal
 * per app, on its topic, its DLQ and its groups. Checked with kafkajs clients logged in as each.
 */
describe('Kafka authentication and ACLs (real cluster)', () => {
  const topic = uniqueName('acl_events');
  const projectorGroup = uniqueName('acl_projector');
  /** Error types the brokers answered with, as kafkajs logs them (some it wraps, see below). */
  const answered: string[] = [];
  const as = (principal: string): Kafka =>
    testKafka({
      clientId: `acl-test-${principal}`,
      sasl: scramSasl(kafkaCredential(principal)),
      // Patient with what may pass (a coordinator loading); refusals are not retried anyway.
      retry: { retries: 8, initialRetryTime: 100 },
      logLevel: logLevel.DEBUG,
      logCreator:
        () =>
        ({ log }) => {
          const type = (log.error as { type?: unknown } | undefined)?.type;
          if (typeof type === 'string') answered.push(type);
        },
    });
  const commandService = () => as(APP_PRINCIPALS.commandService);
  const projector = () => as(APP_PRINCIPALS.projector);
  const outsider = () => as(OUTSIDER_PRINCIPAL);

  beforeAll(async () => {
    await appKafkaEnv('projector', { topic, partitions: 3, projectorGroup });
  });

  it('refuses a client without credentials', async () => {
    const admin = testKafka({ sasl: undefined, retry: { retries: 0 } }).admin();
    await expect(admin.connect().then(() => admin.listTopics())).rejects.toThrow();
    await admin.disconnect();
  });

  it('refuses a client with a wrong password', async () => {
    const admin = testKafka({
      sasl: { mechanism: 'scram-sha-512', username: APP_PRINCIPALS.projector, password: 'wrong' },
      retry: { retries: 0 },
    }).admin();
    await expect(admin.connect()).rejects.toMatchObject({
      name: 'KafkaJSSASLAuthenticationError',
    });
    await admin.disconnect();
  });

  it('lets command-service write the topic, and projector read it in its groups and write the DLQ', async () => {
    await produce(commandService(), topic, 'from-command-service');
    await produce(projector(), `${topic}.dlq`, 'dead-letter');
    const read = await consumeOne(projector(), `${projectorGroup}-replay-1`, topic);
    expect(read).toBe('from-command-service');
  });

  /**
   * The authorisation errors that kept `kafka` from consuming in `group`. kafkajs reports a
   * group it may not use as "Failed to find group coordinator"; the broker's answer
   * (GROUP_AUTHORIZATION_FAILED) is in its debug log, so both are looked at.
   */
  async function deniedConsuming(kafka: Kafka, group: string): Promise<string[]> {
    answered.length = 0;
    const thrown = await refusal(consumeOne(kafka, group, topic)).catch(() => undefined);
    return [...answered, ...(thrown ? [thrown] : [])].filter((type) =>
      type.endsWith('_AUTHORIZATION_FAILED'),
    );
  }

  it('denies a principal without ACLs producing to the topic or joining the projector group', async () => {
    expect(await refusal(produce(outsider(), topic, 'forged'))).toMatch(/AUTHORIZATION_FAILED/);
    // It may not even see the topic, so it is stopped before it gets to the group.
    expect(await deniedConsuming(outsider(), projectorGroup)).not.toEqual([]);
  });

  it('denies the projector producing to the events topic', async () => {
    expect(await refusal(produce(projector(), topic, 'forged'))).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('denies command-service reading the topic, joining the projector group or deleting topics', async () => {
    expect(await deniedConsuming(commandService(), projectorGroup)).toContain(
      'GROUP_AUTHORIZATION_FAILED',
    );
    // Even in a group of its own (granted here, for this check only) it may not read the topic.
    const ownGroup = uniqueName('acl_command_group');
    await grantGroupRead(APP_PRINCIPALS.commandService, ownGroup);
    expect(await refusal(consumeOne(commandService(), ownGroup, topic))).toBe(
      'TOPIC_AUTHORIZATION_FAILED',
    );

    const admin = commandService().admin();
    await admin.connect();
    try {
      expect(await refusal(admin.deleteTopics({ topics: [topic], timeout: 5_000 }))).toBe(
        'TOPIC_AUTHORIZATION_FAILED',
      );
      expect(
        await refusal(
          admin.createTopics({ topics: [{ topic: uniqueName('rogue'), numPartitions: 1 }] }),
        ),
      ).toMatch(/AUTHORIZATION_FAILED/);
    } finally {
      await admin.disconnect();
    }
    // Still there for everyone else.
    const superAdmin = testKafka().admin();
    await superAdmin.connect();
    expect(await superAdmin.listTopics()).toContain(topic);
    await superAdmin.disconnect();
  });
});

async function grantGroupRead(principal: string, group: string): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createAcls({
      acl: [
        {
          principal: `User:${principal}`,
          resourceType: AclResourceTypes.GROUP,
          resourceName: group,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          operation: AclOperationTypes.READ,
          host: '*',
          permissionType: AclPermissionTypes.ALLOW,
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

async function produce(kafka: Kafka, topic: string, value: string): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [{ key: value, value }] });
  } finally {
    await producer.disconnect();
  }
}

const TRANSIENT_GROUP_ERRORS = new Set([
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
  'REBALANCE_IN_PROGRESS',
]);

/** The first record of `topic` read in `group`; rejects with the error that stopped the consumer. */
async function consumeOne(kafka: Kafka, group: string, topic: string): Promise<string> {
  const consumer = kafka.consumer({ groupId: group });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    return await new Promise<string>((resolve, reject) => {
      // A coordinator still loading is passing weather: kafkajs restarts the consumer itself.
      const unlessTransient = (error: Error & { type?: string }) => {
        if (!TRANSIENT_GROUP_ERRORS.has(error.type ?? '')) reject(error);
      };
      consumer.on(consumer.events.CRASH, ({ payload }) => unlessTransient(payload.error));
      consumer
        .run({
          eachMessage: ({ message }) => {
            resolve(message.value?.toString() ?? '');
            return Promise.resolve();
          },
        })
        .catch(unlessTransient);
    });
  } finally {
    await consumer.disconnect();
  }
}

/** The Kafka error type (or name) `attempt` was refused with; fails the test if it succeeded. */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    const found = findType(error);
    if (found) return found;
    throw error;
  }
  throw new Error('expected Kafka to refuse, and it allowed it');
}

function findType(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const shape = error as { type?: string; cause?: unknown; errors?: unknown[] };
  if (shape.type) return shape.type;
  for (const inner of [shape.cause, ...(shape.errors ?? [])]) {
    const found = findType(inner);
    if (found) return found;
  }
  return undefined;
}
