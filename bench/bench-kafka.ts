import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import { provisionKafkaAs } from '../tools/kafka/provision';
import { toPropertiesFile } from '../tools/local-infra/kafka-broker-settings';
import { LocalKafkaCluster } from '../tools/local-infra/kafka-cluster';
import {
  APP_PRINCIPALS,
  clientProperties,
  readCredentials,
  scramSasl,
  type KafkaCredentials,
} from '../tools/local-infra/kafka-credentials';
import { repoRoot } from '../tools/repo-root';

/** The benches' own cluster; the test cluster's ports start at 19192, the suite's at 19092. */
export const BENCH_KAFKA_DIR = join(repoRoot(), '.local/bench/kafka');
const PORT_BASE = Number(process.env.BENCH_KAFKA_PORT_BASE ?? 19392);

export type BenchKafkaApp = keyof typeof APP_PRINCIPALS;

/**
 * The Kafka cluster of a bench, which requires SASL/SCRAM and ACLs: KAFKA_BROKERS with
 * BENCH_KAFKA_CREDENTIALS (its SCRAM logins, a credentials file in the launcher's format), or
 * the local 3-node cluster under .local/bench/kafka (ports 19392-19413, or from
 * BENCH_KAFKA_PORT_BASE). The bench itself
 * logs in as the super user; the apps it starts log in as their own principals, on topics and
 * ACLs provisioned first (appEnv), as `npm start` does.
 */
export class BenchKafka {
  readonly brokers: string[];
  private readonly cluster?: LocalKafkaCluster;
  private credentials?: KafkaCredentials;
  private propertiesDir?: string;

  /** `log`: the local cluster's own messages (nodes formatted, started, stopped). */
  constructor(log?: (message: string) => void) {
    const { KAFKA_BROKERS, BENCH_KAFKA_CREDENTIALS } = process.env;
    if (KAFKA_BROKERS) {
      if (!BENCH_KAFKA_CREDENTIALS) {
        throw new Error(
          "KAFKA_BROKERS needs BENCH_KAFKA_CREDENTIALS (the cluster's SCRAM logins, in the format of .local/bench/kafka/credentials.json)",
        );
      }
      this.brokers = KAFKA_BROKERS.split(',');
      this.credentials = readCredentials(BENCH_KAFKA_CREDENTIALS);
    } else {
      this.cluster = new LocalKafkaCluster({ dataDir: BENCH_KAFKA_DIR, portBase: PORT_BASE, log });
      this.brokers = this.cluster.bootstrapServers;
    }
  }

  /**
   * Starts the local cluster (nothing for KAFKA_BROKERS). Data formatted before the cluster
   * required SASL (no credentials.json) holds nothing worth keeping: the benches delete their
   * topics. It is deleted, and the nodes formatted afresh with generated logins.
   */
  async start(): Promise<void> {
    const { cluster } = this;
    if (!cluster) return;
    if (existsSync(cluster.dataDir) && !existsSync(cluster.credentialsFile)) {
      console.log(
        `[bench] ${cluster.dataDir} was formatted without SASL credentials: deleting it to format it afresh`,
      );
      await cluster.stop();
      rmSync(cluster.dataDir, { recursive: true, force: true });
    }
    await cluster.start();
    this.credentials = cluster.credentials;
  }

  /** Stops the local cluster, if this started one; removes the client properties file. */
  async stop(): Promise<void> {
    if (this.propertiesDir) rmSync(this.propertiesDir, { recursive: true, force: true });
    await this.cluster?.stop();
  }

  /** kafkajs's login as the super user. */
  get superUserSasl(): SASLOptions {
    return scramSasl(this.loaded().superUser);
  }

  /** A kafkajs client logged in as the super user: creates, fills and deletes bench topics. */
  client(clientId: string, level = logLevel.ERROR): Kafka {
    return new Kafka({
      clientId,
      brokers: this.brokers,
      sasl: this.superUserSasl,
      logLevel: level,
    });
  }

  /**
   * Provisions, as the super user, `topic` and its DLQ (created if missing, else verified) and
   * the apps' ACLs on them and on the projector's group; returns the Kafka part of `app`'s
   * environment: the brokers, its own login, the topic and its partition count.
   */
  async appEnv(
    app: BenchKafkaApp,
    { topic, partitions = 6, projectorGroup = 'order-view-projector' }: AppTopic,
  ): Promise<Record<string, string>> {
    await provisionKafkaAs(this.brokers, this.superUserSasl, {
      orderEvents: { ORDER_EVENTS_TOPIC: topic, ORDER_EVENTS_PARTITIONS: partitions },
      projectorGroup,
    });
    const credential = this.loaded().principals[APP_PRINCIPALS[app]];
    if (!credential) throw new Error(`the bench cluster has no principal ${APP_PRINCIPALS[app]}`);
    return {
      KAFKA_BROKERS: this.brokers.join(','),
      KAFKA_SASL_USERNAME: credential.username,
      KAFKA_SASL_PASSWORD: credential.password,
      ORDER_EVENTS_TOPIC: topic,
      ORDER_EVENTS_PARTITIONS: String(partitions),
    };
  }

  /** The super user's client properties for Kafka's Java tools (`--command-config`). */
  clientPropertiesFile(): string {
    if (this.cluster) return this.cluster.adminClientPropertiesFile;
    this.propertiesDir ??= mkdtempSync(join(tmpdir(), 'bench-kafka-'));
    const file = join(this.propertiesDir, 'client.properties');
    const properties = toPropertiesFile(clientProperties(this.loaded().superUser));
    writeFileSync(file, properties, { mode: 0o600 });
    return file;
  }

  private loaded(): KafkaCredentials {
    if (!this.credentials) throw new Error('BenchKafka: start() first');
    return this.credentials;
  }
}

export interface AppTopic {
  topic: string;
  /** 6 by default, as ORDER_EVENTS_PARTITIONS. */
  partitions?: number;
  /** The projector's PROJECTOR_GROUP_ID (its replays' groups are prefixed with it). */
  projectorGroup?: string;
}
