import { Kafka, logLevel, type Admin, type SASLOptions } from 'kafkajs';
import { guardTopics } from '@app/kafka';
import { orderEventTopics, type OrderEventsTopicEnv } from '@app/order-events';
import { APP_PRINCIPALS } from '../local-infra/kafka-credentials';
import { appAcls, type KafkaAccessPlan } from './kafka-acls';

export interface KafkaProvisioning {
  orderEvents: OrderEventsTopicEnv;
  /** `order-view-projector` unless the projector runs with another PROJECTOR_GROUP_ID. */
  projectorGroup: string;
  principals?: KafkaAccessPlan['principals'];
  /** false: only the ACLs (the topics exist, whatever their settings). */
  createTopics?: boolean;
}

/**
 * Run as the super user, before the apps start: creates the order events topic and its DLQ with
 * the contract's durability (or verifies them, strict), then grants each app's principal its
 * ACLs (appAcls). Idempotent: creating an ACL that exists changes nothing.
 */
export async function provisionKafka(admin: Admin, provisioning: KafkaProvisioning): Promise<void> {
  const topics = orderEventTopics(provisioning.orderEvents);
  if (provisioning.createTopics !== false) {
    await guardTopics(admin, [topics.events, topics.deadLetters], 'strict');
  }
  await admin.createAcls({
    acl: appAcls({
      eventsTopic: topics.events.name,
      deadLetterTopic: topics.deadLetters.name,
      projectorGroup: provisioning.projectorGroup,
      principals: provisioning.principals ?? APP_PRINCIPALS,
    }),
  });
}

/** provisionKafka through a short-lived admin client logged in as `superUser`. */
export async function provisionKafkaAs(
  brokers: string[],
  superUser: SASLOptions,
  provisioning: KafkaProvisioning,
): Promise<void> {
  const admin = new Kafka({
    clientId: 'kafka-provisioning',
    brokers,
    sasl: superUser,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    await provisionKafka(admin, provisioning);
  } finally {
    await admin.disconnect();
  }
}

if (require.main === module) {
  const env = process.env;
  const required = ['KAFKA_BROKERS', 'KAFKA_ADMIN_USERNAME', 'KAFKA_ADMIN_PASSWORD'] as const;
  const missing = required.filter((name) => !env[name]);
  if (missing.length > 0) {
    console.error(`provision-kafka: ${missing.join(', ')} required (the super user's login)`);
    process.exit(1);
  }
  provisionKafkaAs(
    env.KAFKA_BROKERS!.split(','),
    {
      mechanism: 'scram-sha-512',
      username: env.KAFKA_ADMIN_USERNAME!,
      password: env.KAFKA_ADMIN_PASSWORD!,
    },
    {
      orderEvents: {
        ORDER_EVENTS_TOPIC: env.ORDER_EVENTS_TOPIC ?? 'order-events',
        ORDER_EVENTS_PARTITIONS: Number(env.ORDER_EVENTS_PARTITIONS ?? 6),
      },
      projectorGroup: env.PROJECTOR_GROUP_ID ?? 'order-view-projector',
    },
  ).then(
    () => console.log('provision-kafka: topics and ACLs in place'),
    (error: unknown) => {
      console.error(`provision-kafka: failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
