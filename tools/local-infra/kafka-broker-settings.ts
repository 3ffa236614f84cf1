/**
 * Broker settings of the local 3-node KRaft cluster. docker-compose.yml must match the
 * durability part; a unit test (docker-compose.spec.ts) holds the two together.
 */
export const KAFKA_DURABILITY_SETTINGS = {
  'default.replication.factor': '3',
  'min.insync.replicas': '2',
  'offsets.topic.replication.factor': '3',
  'transaction.state.log.replication.factor': '3',
  'transaction.state.log.min.isr': '2',
  'unclean.leader.election.enable': 'false',
  'auto.create.topics.enable': 'false',
} as const;

/** Sized for 2 cores: small thread pools and cleaner buffer, fast group formation. */
const SMALL_MACHINE_SETTINGS = {
  'offsets.topic.num.partitions': '5',
  'group.initial.rebalance.delay.ms': '0',
  'num.network.threads': '2',
  'num.io.threads': '2',
  'background.threads': '2',
  'log.cleaner.dedupe.buffer.size': '2097152',
  'num.partitions': '6',
} as const;

export const KAFKA_NODE_COUNT = 3;

export interface KafkaNodePorts {
  client: number;
  controller: number;
}

/** Node n (1-based) listens on portBase + (n-1)*10000 for clients and one above for the controller. */
export function nodePorts(portBase: number, nodeId: number): KafkaNodePorts {
  const client = portBase + (nodeId - 1) * 10_000;
  return { client, controller: client + 1 };
}

export function brokerProperties(options: {
  nodeId: number;
  portBase: number;
  logDir: string;
}): Record<string, string> {
  const { nodeId, portBase, logDir } = options;
  const { client, controller } = nodePorts(portBase, nodeId);
  const voters = Array.from({ length: KAFKA_NODE_COUNT }, (_, i) => {
    const id = i + 1;
    return `${id}@127.0.0.1:${nodePorts(portBase, id).controller}`;
  }).join(',');
  return {
    'process.roles': 'broker,controller',
    'node.id': String(nodeId),
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://127.0.0.1:${client},CONTROLLER://127.0.0.1:${controller}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${client}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': logDir,
    ...KAFKA_DURABILITY_SETTINGS,
    ...SMALL_MACHINE_SETTINGS,
  };
}

export function toPropertiesFile(properties: Record<string, string>): string {
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}
