import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { TEST_DATA_DIR, TEST_KAFKA_PORT_BASE } from '../../test/infra/local-infra';
import { uniqueName } from '../../test/infra/test-infra';
import { nodePorts } from './kafka-broker-settings';
import { LocalKafkaCluster } from './kafka-cluster';

/**
 * A cluster whose start cannot succeed says so at once, with the node's own reason, instead of
 * polling for the whole readiness timeout (CI once waited 180 s on a node that had exited).
 */
describe('starting a local Kafka cluster', () => {
  // Beside the test cluster's ports, below npm start's under test (TEST_KAFKA_PORT_BASE + 100).
  const portBase = TEST_KAFKA_PORT_BASE + 50;
  const dataDir = join(TEST_DATA_DIR, uniqueName('taken-port'));
  const cluster = new LocalKafkaCluster({ dataDir, portBase, heapMb: 256 });
  let squatter: Server;

  beforeAll(async () => {
    // It takes node 3's controller port, and hangs up on the other nodes that dial it.
    squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) =>
      squatter.listen(nodePorts(portBase, 3).controller, '127.0.0.1', resolve),
    );
  });

  afterAll(async () => {
    await cluster.stop();
    await new Promise((resolve) => squatter.close(resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('fails fast, naming the node and its reason, when a node cannot bind its port', async () => {
    const failure = await cluster.start({ timeoutMs: 170_000 }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    // Not "Timed out …": the exit was noticed, not waited out.
    expect(failure).toMatch(/kafka node 3 exited while starting/);
    expect(failure).toMatch(/Address already in use/);
    expect(cluster.isNodeRunning(3)).toBe(false);
  }, 180_000);
});
