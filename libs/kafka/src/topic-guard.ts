import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { DurabilityProfile } from './kafka.config';
import { KafkaDurabilityError } from './kafka.errors';
import { createTopicsAndWait } from './topic-admin';
import {
  REQUIRED_REPLICATION_FACTOR,
  brokerProblems,
  creationConfig,
  replicationFactorFor,
  topicProblems,
  type TopicSpec,
} from './topic-spec';

export interface GuardReport {
  created: string[];
  /** Shortfalls tolerated because durability is relaxed (strict mode throws instead). */
  warnings: string[];
}

/**
 * Creates missing topics with the contract's settings and checks existing topics and the
 * brokers' defaults against it. Strict: any shortfall throws KafkaDurabilityError, one line per
 * problem. Relaxed: shortfalls come back as warnings.
 */
export async function guardTopics(
  admin: Admin,
  topics: TopicSpec[],
  durability: DurabilityProfile,
): Promise<GuardReport> {
  const { brokers } = await admin.describeCluster();
  const problems: string[] = [];
  if (brokers.length < REQUIRED_REPLICATION_FACTOR) {
    problems.push(
      `cluster: ${brokers.length} broker(s), required >= ${REQUIRED_REPLICATION_FACTOR} for replication factor ${REQUIRED_REPLICATION_FACTOR}`,
    );
  }
  problems.push(
    ...(await brokerDefaultProblems(
      admin,
      brokers.map((broker) => broker.nodeId),
    )),
  );

  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic.name));
  const replicationFactor = replicationFactorFor(durability, brokers.length);
  if (missing.length > 0 && (durability === 'relaxed' || brokers.length >= replicationFactor)) {
    await createTopicsAndWait(
      admin,
      missing.map((topic) => ({
        topic: topic.name,
        numPartitions: topic.partitions,
        replicationFactor,
        configEntries: Object.entries(creationConfig(topic)).map(([name, value]) => ({
          name,
          value,
        })),
      })),
    );
  }
  for (const topic of topics.filter((spec) => existing.has(spec.name))) {
    problems.push(...topicProblems(topic, await observeTopic(admin, topic.name)));
  }
  if (durability === 'strict' && problems.length > 0) throw new KafkaDurabilityError(problems);
  return { created: missing.map((topic) => topic.name), warnings: problems };
}

async function observeTopic(admin: Admin, name: string) {
  const [metadata] = (await admin.fetchTopicMetadata({ topics: [name] })).topics;
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name }],
  });
  return {
    name,
    partitions: metadata.partitions.length,
    replicationFactor: Math.min(
      ...metadata.partitions.map((partition) => partition.replicas.length),
    ),
    configs: configMap(resources[0]?.configEntries ?? []),
  };
}

async function brokerDefaultProblems(admin: Admin, brokerIds: number[]): Promise<string[]> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: brokerIds.map((id) => ({ type: ConfigResourceTypes.BROKER, name: String(id) })),
  });
  return resources.flatMap((resource) =>
    brokerProblems(Number(resource.resourceName), configMap(resource.configEntries)),
  );
}

function configMap(entries: { configName: string; configValue: string }[]) {
  return Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue]));
}
