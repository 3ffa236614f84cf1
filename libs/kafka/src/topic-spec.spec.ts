import {
  brokerProblems,
  creationConfig,
  replicationFactorFor,
  topicProblems,
  type ObservedTopic,
  type TopicSpec,
} from './topic-spec';

const events: TopicSpec = { name: 'order-events', partitions: 6, retention: 'forever' };
const durable: ObservedTopic = {
  name: 'order-events',
  partitions: 6,
  replicationFactor: 3,
  configs: {
    'min.insync.replicas': '2',
    'unclean.leader.election.enable': 'false',
    'retention.ms': '-1',
  },
};

describe('topic durability rules', () => {
  it('creates event logs with min.insync.replicas 2, no unclean election, kept forever', () => {
    expect(creationConfig(events)).toEqual({
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
      'retention.ms': '-1',
    });
    expect(creationConfig({ ...events, retention: 'default' })).not.toHaveProperty('retention.ms');
  });

  it('finds nothing wrong with a topic that meets the contract', () => {
    expect(topicProblems(events, durable)).toEqual([]);
  });

  it('names topic, setting, actual and required value for each shortfall', () => {
    const weak: ObservedTopic = {
      ...durable,
      replicationFactor: 1,
      configs: {
        'min.insync.replicas': '1',
        'unclean.leader.election.enable': 'true',
        'retention.ms': '604800000',
      },
    };
    expect(topicProblems(events, weak)).toEqual([
      'topic order-events: replication.factor is 1, required >= 3',
      'topic order-events: min.insync.replicas is 1, required >= 2',
      'topic order-events: unclean.leader.election.enable is true, required false',
      'topic order-events: retention.ms is 604800000, required -1 (events are kept forever)',
    ]);
  });

  it('checks broker defaults that the guarantees depend on', () => {
    expect(
      brokerProblems(2, {
        'min.insync.replicas': '2',
        'unclean.leader.election.enable': 'false',
        'offsets.topic.replication.factor': '3',
      }),
    ).toEqual([]);
    expect(
      brokerProblems(2, {
        'min.insync.replicas': '1',
        'unclean.leader.election.enable': 'false',
        'offsets.topic.replication.factor': '1',
      }),
    ).toEqual([
      'broker 2: min.insync.replicas is 1, required >= 2',
      'broker 2: offsets.topic.replication.factor is 1, required >= 3',
    ]);
  });

  it('creates topics with replication 3 in strict mode, what the cluster holds in relaxed', () => {
    expect(replicationFactorFor('strict', 1)).toBe(3);
    expect(replicationFactorFor('relaxed', 1)).toBe(1);
    expect(replicationFactorFor('relaxed', 5)).toBe(3);
  });
});
