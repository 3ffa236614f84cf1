import {
  KAFKA_DURABILITY_SETTINGS,
  brokerProperties,
  nodePorts,
  toPropertiesFile,
} from './kafka-broker-settings';

describe('local Kafka node settings', () => {
  const node2 = brokerProperties({
    nodeId: 2,
    portBase: 19092,
    logDir: '/data/node-2',
    superUserPassword: 'secret-1',
  });

  it('gives each node its own client and controller port', () => {
    expect([1, 2, 3].map((id) => nodePorts(19092, id))).toEqual([
      { client: 19092, controller: 19093 },
      { client: 19102, controller: 19103 },
      { client: 19112, controller: 19113 },
    ]);
  });

  it('keeps every port of the default clusters below the ephemeral range, where a client socket could hold it', () => {
    const EPHEMERAL_PORTS_START = 32_768;
    // The suite (npm start), the test cluster, npm start under test, and the benches.
    for (const portBase of [19092, 19192, 19292, 19392]) {
      for (const id of [1, 2, 3]) {
        expect(nodePorts(portBase, id).controller).toBeLessThan(EPHEMERAL_PORTS_START);
      }
    }
  });

  it('makes every node a broker and a controller of one static three-voter quorum', () => {
    expect(node2['process.roles']).toBe('broker,controller');
    expect(node2['node.id']).toBe('2');
    expect(node2['controller.quorum.voters']).toBe(
      '1@127.0.0.1:19093,2@127.0.0.1:19103,3@127.0.0.1:19113',
    );
    expect(node2.listeners).toBe('CLIENT://127.0.0.1:19102,CONTROLLER://127.0.0.1:19103');
    expect(node2['log.dirs']).toBe('/data/node-2');
  });

  it('puts each node in a rack of its own, so that replicas spread across racks', () => {
    const racks = [1, 2, 3].map(
      (nodeId) =>
        brokerProperties({ nodeId, portBase: 19092, logDir: '/d', superUserPassword: 's' })[
          'broker.rack'
        ],
    );
    expect(racks).toEqual(['rack-1', 'rack-2', 'rack-3']);
  });

  it('carries the durability settings the product relies on', () => {
    expect(node2).toMatchObject({
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'unclean.leader.election.enable': 'false',
      'auto.create.topics.enable': 'false',
    });
    expect(node2).toMatchObject(KAFKA_DURABILITY_SETTINGS);
  });

  it('requires SASL on every listener: SCRAM for clients and brokers, PLAIN for controllers', () => {
    expect(node2['listener.security.protocol.map']).toBe(
      'CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT',
    );
    expect(node2).toMatchObject({
      'inter.broker.listener.name': 'CLIENT',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'listener.name.client.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'sasl.mechanism.controller.protocol': 'PLAIN',
      'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
    });
    expect(node2['listener.name.client.scram-sha-512.sasl.jaas.config']).toContain(
      'username="admin" password="secret-1"',
    );
  });

  it('authorises by ACL only, with one super user', () => {
    expect(node2).toMatchObject({
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'super.users': 'User:admin',
      'allow.everyone.if.no.acl.found': 'false',
    });
  });

  it('writes a Java properties file, one key=value per line', () => {
    expect(toPropertiesFile({ a: '1', 'b.c': 'x,y' })).toBe('a=1\nb.c=x,y\n');
  });
});
