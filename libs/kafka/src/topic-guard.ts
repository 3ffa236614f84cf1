import { ConfigResourceTypes, type Admin } from 'kafkajs';
import type { DurabilityProfile } from './kafka.config';
import { KafkaDurabilityError } from './kafka.errors';
import { createTopicsAndWait } from './topic-admin';
import {
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
  // Durability depends on how topics and brokers are configured, not on how many brokers are up
  // right now: with min.insync.replicas=2, a cluster of three with one down is writable, and an
  // app must be able to (re)start then.
  const { brokers } = await admin.describeCluster();
  const problems = await brokerDefaultProblems(
    admin,
    brokers.map((broker) => broker.nodeId),
  );

  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => !existing.has(topic.name));
  const replicationFactor = replicationFactorFor(durability, brokers.length);
  if (missing.length > 0) {
    if (brokers.length < replicationFactor) {
      // Not a refusal: creating them can succeed once enough brokers are back (boot retries).
      throw new Error(
        `cannot create ${missing.map((topic) => topic.name).join(', ')} with replication factor ${replicationFactor}: ${brokers.length} broker(s) up`,
      );
    }
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
