import type { DurabilityProfile } from './kafka.config';

/** A topic an app uses, with the guarantees it must have. */
export interface TopicSpec {
  name: string;
  partitions: number;
  /** Event logs keep events forever: replay rebuilds views from offset 0. */
  retention: 'forever' | 'default';
}

export const REQUIRED_REPLICATION_FACTOR = 3;
export const REQUIRED_MIN_INSYNC_REPLICAS = 2;

/** What the cluster says about an existing topic. */
export interface ObservedTopic {
  name: string;
  partitions: number;
  /** The smallest replica set of its partitions. */
  replicationFactor: number;
  /** Effective values (topic override or broker default). */
  configs: Record<string, string | undefined>;
}

/** Config entries a topic is created with. */
export function creationConfig(spec: TopicSpec): Record<string, string> {
  return {
    'min.insync.replicas': String(REQUIRED_MIN_INSYNC_REPLICAS),
    'unclean.leader.election.enable': 'false',
    ...(spec.retention === 'forever' ? { 'retention.ms': '-1' } : {}),
  };
}

/** One line per shortfall: topic, setting, actual value, required value. */
export function topicProblems(spec: TopicSpec, observed: ObservedTopic): string[] {
  const problems: string[] = [];
  const problem = (setting: string, actual: unknown, required: string) =>
    problems.push(`topic ${spec.name}: ${setting} is ${String(actual)}, required ${required}`);

  // Keys are hashed over the partition count: another count sends an order's events elsewhere.
  if (observed.partitions !== spec.partitions) {
    problem('partition count', observed.partitions, `${spec.partitions} (keys would move)`);
  }
  if (observed.replicationFactor < REQUIRED_REPLICATION_FACTOR) {
    problem('replication.factor', observed.replicationFactor, `>= ${REQUIRED_REPLICATION_FACTOR}`);
  }
  const minIsr = Number(observed.configs['min.insync.replicas']);
  if (!(minIsr >= REQUIRED_MIN_INSYNC_REPLICAS)) {
    problem(
      'min.insync.replicas',
      observed.configs['min.insync.replicas'],
      `>= ${REQUIRED_MIN_INSYNC_REPLICAS}`,
    );
  }
  if (observed.configs['unclean.leader.election.enable'] !== 'false') {
    problem(
      'unclean.leader.election.enable',
      observed.configs['unclean.leader.election.enable'],
      'false',
    );
  }
  if (spec.retention === 'forever' && observed.configs['retention.ms'] !== '-1') {
    problem('retention.ms', observed.configs['retention.ms'], '-1 (events are kept forever)');
  }
  return problems;
}

/** Replication a new topic gets: the contract's in strict mode, what the cluster can hold in relaxed. */
export function replicationFactorFor(durability: DurabilityProfile, brokerCount: number): number {
  return durability === 'strict'
    ? REQUIRED_REPLICATION_FACTOR
    : Math.min(REQUIRED_REPLICATION_FACTOR, brokerCount);
}

/** Broker defaults the durability contract also depends on. */
export function brokerProblems(
  brokerId: number,
  configs: Record<string, string | undefined>,
): string[] {
  const problems: string[] = [];
  const problem = (setting: string, required: string) =>
    problems.push(
      `broker ${brokerId}: ${setting} is ${String(configs[setting])}, required ${required}`,
    );
  if (!(Number(configs['min.insync.replicas']) >= REQUIRED_MIN_INSYNC_REPLICAS)) {
    problem('min.insync.replicas', `>= ${REQUIRED_MIN_INSYNC_REPLICAS}`);
  }
  if (configs['unclean.leader.election.enable'] !== 'false') {
    problem('unclean.leader.election.enable', 'false');
  }
  // Committed consumer offsets live in __consumer_offsets: they need the same replication.
  if (!(Number(configs['offsets.topic.replication.factor']) >= REQUIRED_REPLICATION_FACTOR)) {
    problem('offsets.topic.replication.factor', `>= ${REQUIRED_REPLICATION_FACTOR}`);
  }
  return problems;
}
