import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalKafkaCluster } from '../../tools/local-infra/kafka-cluster';
import { APP_PRINCIPALS } from '../../tools/local-infra/kafka-credentials';
import { LocalPostgres } from '../../tools/local-infra/local-postgres';

export const TEST_DATA_DIR = resolve(__dirname, '../../.local/test-infra');
// Overridable so that two checkouts on one machine can run their suites side by side.
export const TEST_KAFKA_PORT_BASE = Number(process.env.TEST_KAFKA_PORT_BASE ?? 19192);
export const TEST_POSTGRES_PORT = Number(process.env.TEST_POSTGRES_PORT ?? 54321);

const log = (message: string) => {
  if (process.env.TEST_INFRA_VERBOSE) console.log(`[test-infra] ${message}`);
};

/** A principal with no ACL at all: what the cluster lets anyone merely authenticated do. */
export const OUTSIDER_PRINCIPAL = 'outsider';

export function testKafkaCluster(): LocalKafkaCluster {
  return new LocalKafkaCluster({
    dataDir: join(TEST_DATA_DIR, 'kafka'),
    portBase: TEST_KAFKA_PORT_BASE,
    principals: [...Object.values(APP_PRINCIPALS), OUTSIDER_PRINCIPAL],
    log,
  });
}

export function testPostgres(): LocalPostgres {
  return new LocalPostgres({
    dataDir: join(TEST_DATA_DIR, 'postgres', 'data'),
    port: TEST_POSTGRES_PORT,
    log,
  });
}

/** Ends what an interrupted earlier run left behind, then starts from empty directories. */
export async function resetTestDataDir(): Promise<void> {
  await Promise.all([testKafkaCluster().stop(), testPostgres().stop()]);
  rmSync(TEST_DATA_DIR, { recursive: true, force: true });
}
