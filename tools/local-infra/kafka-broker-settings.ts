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

/**
 * Each node in a rack of its own, as three availability zones would be: Kafka then places a
 * topic's three replicas in three racks, so losing a whole rack loses one replica, never two
 * (which would drop a partition below min.insync.replicas). docker-compose.yml does the same.
 */
export const rackOf = (nodeId: number): string => `rack-${nodeId}`;

const NODE_PORT_STRIDE = 10;

export interface KafkaNodePorts {
  client: number;
  controller: number;
}

/**
 * Node n (1-based) listens on portBase + (n-1)*10 for clients and one above for the controller.
 * The nodes sit side by side so that, from the default bases (19092, 19192, …), every port stays
 * below the range the OS hands out for outgoing connections (32768 and up on Linux): a port in
 * it can be held by any client socket at the moment a node starts, and the node then fails to bind.
 */
export function nodePorts(portBase: number, nodeId: number): KafkaNodePorts {
  const client = portBase + (nodeId - 1) * NODE_PORT_STRIDE;
  return { client, controller: client + 1 };
}

/** The one super user: brokers talk to each other as it, and provisioning (topics, ACLs) runs as it. */
export const KAFKA_SUPER_USER = 'admin';

/** Only these settings decide who may do what; docker-compose.yml must carry them too. */
export const KAFKA_AUTHORIZATION_SETTINGS = {
  'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
  'super.users': `User:${KAFKA_SUPER_USER}`,
  'allow.everyone.if.no.acl.found': 'false',
} as const;

/**
 * SASL on both listeners: SCRAM-SHA-512 for clients and between brokers, PLAIN on the KRaft
 * controller listener, where SCRAM cannot work (its credentials live in the metadata log the
 * controllers are still reading: KAFKA-15513). No TLS: every listener binds to 127.0.0.1.
 */
export function saslProperties(superUserPassword: string): Record<string, string> {
  const user = KAFKA_SUPER_USER;
  const password = superUserPassword;
  return {
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
    'sasl.mechanism.controller.protocol': 'PLAIN',
    'listener.name.client.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.client.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
    'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.controller.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${password}" user_${user}="${password}";`,
    ...KAFKA_AUTHORIZATION_SETTINGS,
  };
}

export function brokerProperties(options: {
  nodeId: number;
  portBase: number;
  logDir: string;
  superUserPassword: string;
}): Record<string, string> {
  const { nodeId, portBase, logDir, superUserPassword } = options;
  const { client, controller } = nodePorts(portBase, nodeId);
  const voters = Array.from({ length: KAFKA_NODE_COUNT }, (_, i) => {
    const id = i + 1;
    return `${id}@127.0.0.1:${nodePorts(portBase, id).controller}`;
  }).join(',');
  return {
    'process.roles': 'broker,controller',
    'node.id': String(nodeId),
    'broker.rack': rackOf(nodeId),
    'controller.quorum.voters': voters,
    listeners: `CLIENT://127.0.0.1:${client},CONTROLLER://127.0.0.1:${controller}`,
    'advertised.listeners': `CLIENT://127.0.0.1:${client}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'CLIENT',
    'listener.security.protocol.map': 'CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
    'log.dirs': logDir,
    ...saslProperties(superUserPassword),
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
