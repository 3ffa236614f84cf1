import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
} from 'kafkajs';

/** What provisioning grants access to: the order events topic, its DLQ, the projector's groups. */
export interface KafkaAccessPlan {
  eventsTopic: string;
  deadLetterTopic: string;
  /** The live group; replays use `<group>-replay-<id>`, covered by a prefixed ACL. */
  projectorGroup: string;
  principals: { commandService: string; projector: string };
}

const { TOPIC, GROUP, CLUSTER } = AclResourceTypes;
const { LITERAL, PREFIXED } = ResourcePatternTypes;
const {
  READ,
  WRITE,
  DELETE,
  DESCRIBE,
  DESCRIBE_CONFIGS: DESCRIBE_CONFIGS_OP,
  IDEMPOTENT_WRITE,
} = AclOperationTypes;

/**
 * The ACLs of the apps' principals, and nothing more: the cluster denies whatever no ACL allows.
 * - command-service writes the events topic (idempotently);
 * - projector reads it in its groups (live and replays, and deletes a finished replay's group)
 *   and writes the DLQ;
 * - both describe their topics and configs, and the brokers' defaults: the boot-time durability
 *   check reads them. Neither may create, alter or delete a topic: provisioning, as the super
 *   user, creates the topics, and the apps only verify them.
 */
export function appAcls(plan: KafkaAccessPlan): AclEntry[] {
  const command = `User:${plan.principals.commandService}`;
  const projector = `User:${plan.principals.projector}`;
  const allow = (
    principal: string,
    resourceType: AclResourceTypes,
    resourceName: string,
    operations: AclOperationTypes[],
    resourcePatternType = LITERAL,
  ): AclEntry[] =>
    operations.map((operation) => ({
      principal,
      resourceType,
      resourceName,
      resourcePatternType,
      operation,
      host: '*',
      permissionType: AclPermissionTypes.ALLOW,
    }));
  const verify = [DESCRIBE, DESCRIBE_CONFIGS_OP];
  return [
    ...allow(command, TOPIC, plan.eventsTopic, [WRITE, ...verify]),
    ...allow(command, CLUSTER, 'kafka-cluster', [IDEMPOTENT_WRITE, DESCRIBE_CONFIGS_OP]),
    ...allow(projector, TOPIC, plan.eventsTopic, [READ, ...verify]),
    ...allow(projector, TOPIC, plan.deadLetterTopic, [WRITE, ...verify]),
    ...allow(projector, GROUP, plan.projectorGroup, [READ, DESCRIBE, DELETE], PREFIXED),
    ...allow(projector, CLUSTER, 'kafka-cluster', [IDEMPOTENT_WRITE, DESCRIBE_CONFIGS_OP]),
  ];
}
