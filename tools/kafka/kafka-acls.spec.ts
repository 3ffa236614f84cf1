import { AclOperationTypes as Op, AclResourceTypes as Resource } from 'kafkajs';
import { appAcls } from './kafka-acls';

const plan = {
  eventsTopic: 'order-events',
  deadLetterTopic: 'order-events.dlq',
  projectorGroup: 'order-view-projector',
  principals: { commandService: 'command-service', projector: 'projector' },
};

// kafkajs's enums are plain objects: name them by value.
const nameOf = (enumeration: object, value: number) =>
  Object.entries(enumeration).find(([, candidate]) => candidate === value)?.[0];

/** `principal`'s grants as "RESOURCE name OPERATION". */
function grantsOf(principal: string): string[] {
  return appAcls(plan)
    .filter((acl) => acl.principal === `User:${principal}`)
    .map(
      (acl) =>
        `${nameOf(Resource, acl.resourceType)} ${acl.resourceName} ${nameOf(Op, acl.operation)}`,
    )
    .sort();
}

describe('appAcls: least privilege per principal', () => {
  it('lets command-service write and verify the events topic, nothing else', () => {
    expect(grantsOf('command-service')).toEqual([
      'CLUSTER kafka-cluster DESCRIBE_CONFIGS',
      'CLUSTER kafka-cluster IDEMPOTENT_WRITE',
      'TOPIC order-events DESCRIBE',
      'TOPIC order-events DESCRIBE_CONFIGS',
      'TOPIC order-events WRITE',
    ]);
  });

  it('lets projector read the events topic in its groups and write the DLQ', () => {
    expect(grantsOf('projector')).toEqual([
      'CLUSTER kafka-cluster DESCRIBE_CONFIGS',
      'CLUSTER kafka-cluster IDEMPOTENT_WRITE',
      'GROUP order-view-projector DELETE',
      'GROUP order-view-projector DESCRIBE',
      'GROUP order-view-projector READ',
      'TOPIC order-events DESCRIBE',
      'TOPIC order-events DESCRIBE_CONFIGS',
      'TOPIC order-events READ',
      'TOPIC order-events.dlq DESCRIBE',
      'TOPIC order-events.dlq DESCRIBE_CONFIGS',
      'TOPIC order-events.dlq WRITE',
    ]);
  });

  it('covers replay groups (<group>-replay-<id>) by prefix, and topics only literally', () => {
    for (const acl of appAcls(plan)) {
      expect(acl.resourcePatternType).toBe(acl.resourceType === Resource.GROUP ? 4 : 3);
    }
  });

  it('never grants CREATE, ALTER, DELETE on topics, or ALL', () => {
    const topicOps = appAcls(plan)
      .filter((acl) => acl.resourceType === Resource.TOPIC)
      .map((acl) => acl.operation);
    for (const forbidden of [Op.CREATE, Op.ALTER, Op.DELETE, Op.ALL, Op.ALTER_CONFIGS]) {
      expect(topicOps).not.toContain(forbidden);
    }
  });
});
