import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin, type SASLOptions } from 'kafkajs';
import {
  KAFKA_NODE_COUNT,
  brokerProperties,
  nodePorts,
  toPropertiesFile,
} from './kafka-broker-settings';
import {
  APP_PRINCIPALS,
  clientProperties,
  loadOrCreateCredentials,
  readCredentials,
  scramSasl,
  type KafkaCredentials,
} from './kafka-credentials';
import {
  isProcessRunning,
  readPidFile,
  terminate,
  writePidFile,
  type StartedProcess,
} from './processes';
import { StopWaiting, waitFor } from './wait-for';

const execFileAsync = promisify(execFile);
const REPO_ROOT = resolve(__dirname, '../..');
const PROBE_TOPIC = '__cluster_probe';

export interface LocalKafkaClusterOptions {
  /** Holds the cluster id, each node's config, data, log and pid file. Kept across restarts. */
  dataDir: string;
  /** Client port of node 1; node n uses portBase + (n-1)*10 (controller: one above). */
  portBase?: number;
  heapMb?: number;
  /** SCRAM users created when the cluster is formatted, besides the super user. */
  principals?: string[];
  log?: (message: string) => void;
}

/**
 * A 3-node KRaft cluster (each node broker + controller) run from the official jars.
 * All state lives on disk under `dataDir`, so any process (a test worker, the suite launcher)
 * can stop and restart nodes of a cluster another process started.
 */
export class LocalKafkaCluster {
  readonly dataDir: string;
  readonly portBase: number;
  private readonly heapMb: number;
  private readonly principals: string[];
  private readonly log: (message: string) => void;

  constructor(options: LocalKafkaClusterOptions) {
    this.dataDir = resolve(options.dataDir);
    this.portBase = options.portBase ?? 19092;
    const lastPort = nodePorts(this.portBase, KAFKA_NODE_COUNT).controller;
    if (!Number.isInteger(this.portBase) || this.portBase < 1024 || lastPort > 65_535) {
      throw new Error(
        `Kafka port base ${options.portBase} must be an integer from 1024 to ${65_535 - (lastPort - this.portBase)}`,
      );
    }
    this.heapMb = options.heapMb ?? 512;
    this.principals = options.principals ?? Object.values(APP_PRINCIPALS);
    this.log = options.log ?? (() => undefined);
  }

  /** Generated at the first start, kept (mode 0600) beside the data: `credentials.json`. */
  get credentialsFile(): string {
    return join(this.dataDir, 'credentials.json');
  }

  /** The credentials of a started cluster (see credentialsFile). */
  get credentials(): KafkaCredentials {
    return readCredentials(this.credentialsFile);
  }

  /** kafkajs's login as the super user, for provisioning and tests. */
  get superUserSasl(): SASLOptions {
    return scramSasl(this.credentials.superUser);
  }

  get nodeIds(): number[] {
    return Array.from({ length: KAFKA_NODE_COUNT }, (_, i) => i + 1);
  }

  get bootstrapServers(): string[] {
    return this.nodeIds.map((id) => `127.0.0.1:${nodePorts(this.portBase, id).client}`);
  }

  /** Installs the jars if needed, formats new nodes, starts stopped ones and waits until ready. */
  async start({ timeoutMs = 180_000 } = {}): Promise<void> {
    const libs = await installKafkaJars();
    const clusterId = await this.clusterId(libs);
    const credentials = this.loadCredentials();
    for (const id of this.nodeIds) {
      this.writeNodeConfig(id, credentials);
      await this.formatNode(libs, clusterId, id, credentials);
    }
    writeFileSync(
      join(this.dataDir, 'admin-client.properties'),
      toPropertiesFile(clientProperties(credentials.superUser)),
      { mode: 0o600 },
    );
    for (const id of this.nodeIds) this.spawnNode(libs, id);
    await waitUntilKafkaReady(this.bootstrapServers, {
      timeoutMs,
      brokerCount: KAFKA_NODE_COUNT,
      sasl: this.superUserSasl,
      // A node that exits while starting (a port taken, a bad config) never becomes ready:
      // say so at once, with the reason from its log, rather than after the whole timeout.
      giveUpIf: () => this.exitedNodeReport(),
    });
  }

  async stop(): Promise<void> {
    // Stopping all nodes at once avoids the last ones waiting for a controller quorum that is gone.
    await Promise.all(this.nodeIds.map((id) => this.stopNode(id, { graceMs: 15_000 })));
  }

  /** SIGTERM runs a controlled shutdown; pass SIGKILL to simulate a crash. */
  async stopNode(
    id: number,
    { signal = 'SIGTERM', graceMs = 20_000 }: { signal?: NodeJS.Signals; graceMs?: number } = {},
  ): Promise<void> {
    const node = this.nodeProcess(id);
    if (node === undefined || !isProcessRunning(node, this.nodeConfigPath(id))) return;
    this.log(`stopping kafka node ${id} (pid ${node.pid}, ${signal})`);
    await terminate(node, this.nodeConfigPath(id), { signal, graceMs });
  }

  async startNode(id: number): Promise<void> {
    this.spawnNode(await installKafkaJars(), id);
  }

  isNodeRunning(id: number): boolean {
    const node = this.nodeProcess(id);
    return node !== undefined && isProcessRunning(node, this.nodeConfigPath(id));
  }

  runningPids(): number[] {
    return this.nodeIds
      .filter((id) => this.isNodeRunning(id))
      .map((id) => this.nodeProcess(id)?.pid)
      .filter((pid): pid is number => pid !== undefined);
  }

  async waitUntilReady({ timeoutMs = 180_000 } = {}): Promise<void> {
    await waitUntilKafkaReady(this.bootstrapServers, {
      timeoutMs,
      brokerCount: KAFKA_NODE_COUNT,
      sasl: this.superUserSasl,
    });
  }

  /** Why the start cannot succeed, if one of the nodes it spawned is no longer running. */
  private exitedNodeReport(): string | undefined {
    const exited = this.nodeIds.find((id) => !this.isNodeRunning(id));
    if (exited === undefined) return undefined;
    const logFile = join(this.nodeDir(exited), 'broker.log');
    const errors = readFileSync(logFile, 'utf8')
      .split('\n')
      .filter((line) => /\b(ERROR|FATAL)\b|Exception/.test(line))
      .slice(-5);
    return [`kafka node ${exited} exited while starting; from ${logFile}:`, ...errors].join('\n  ');
  }

  /** Client properties of the super user for Kafka's CLI tools (`--command-config`). */
  get adminClientPropertiesFile(): string {
    return join(this.dataDir, 'admin-client.properties');
  }

  private loadCredentials(): KafkaCredentials {
    mkdirSync(this.dataDir, { recursive: true });
    const formatted = this.nodeIds.some((id) =>
      existsSync(join(this.nodeDir(id), 'data', 'meta.properties')),
    );
    if (formatted && !existsSync(this.credentialsFile)) {
      throw new Error(
        `The Kafka cluster in ${this.dataDir} was formatted without SASL credentials (before authentication was required); delete that directory to start afresh`,
      );
    }
    return loadOrCreateCredentials(this.credentialsFile, this.principals);
  }

  private nodeDir(id: number): string {
    return join(this.dataDir, `node-${id}`);
  }

  private nodeConfigPath(id: number): string {
    return join(this.nodeDir(id), 'server.properties');
  }

  /** The node's process as its pid file names it (pid and start time). */
  private nodeProcess(id: number): StartedProcess | undefined {
    return readPidFile(join(this.nodeDir(id), 'pid'));
  }

  private writeNodeConfig(id: number, credentials: KafkaCredentials): void {
    mkdirSync(this.nodeDir(id), { recursive: true });
    const properties = brokerProperties({
      nodeId: id,
      portBase: this.portBase,
      logDir: join(this.nodeDir(id), 'data'),
      superUserPassword: credentials.superUser.password,
    });
    // It holds the super user's password.
    writeFileSync(this.nodeConfigPath(id), toPropertiesFile(properties), { mode: 0o600 });
  }

  private async clusterId(libs: string): Promise<string> {
    const file = join(this.dataDir, 'cluster-id');
    if (existsSync(file)) return readFileSync(file, 'utf8').trim();
    mkdirSync(this.dataDir, { recursive: true });
    const { stdout } = await execFileAsync('java', [
      '-cp',
      `${libs}/*`,
      'kafka.tools.StorageTool',
      'random-uuid',
    ]);
    const id = stdout.trim().split('\n').pop() ?? '';
    writeFileSync(file, id);
    return id;
  }

  /**
   * Every node is formatted with the same SCRAM users (--add-scram): they are records of the
   * bootstrap metadata, so the brokers can authenticate each other, and the apps, from the start.
   */
  private async formatNode(
    libs: string,
    clusterId: string,
    id: number,
    credentials: KafkaCredentials,
  ): Promise<void> {
    if (existsSync(join(this.nodeDir(id), 'data', 'meta.properties'))) return;
    this.log(`formatting kafka node ${id}`);
    const scramUsers = [credentials.superUser, ...Object.values(credentials.principals)].flatMap(
      ({ username, password }) => [
        '--add-scram',
        `SCRAM-SHA-512=[name=${username},password=${password}]`,
      ],
    );
    await execFileAsync('java', [
      ...this.jvmOptions(),
      '-cp',
      `${libs}/*`,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      this.nodeConfigPath(id),
      ...scramUsers,
      '--ignore-formatted',
    ]).catch((error: { stderr?: string; stdout?: string }) => {
      // execFile's own message repeats the command line, passwords included.
      throw new Error(
        `formatting kafka node ${id} failed: ${error.stderr || error.stdout || 'no output'}`,
      );
    });
  }

  private spawnNode(libs: string, id: number): void {
    if (this.isNodeRunning(id)) return;
    const out = openSync(join(this.nodeDir(id), 'broker.log'), 'a');
    // Detached: the node belongs to the cluster on disk, not to whichever process started it;
    // stop() and stopNode() end it through its pid file.
    const child = spawn(
      'java',
      [
        `-Xms${this.heapMb}m`,
        `-Xmx${this.heapMb}m`,
        ...this.jvmOptions(),
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:InitiatingHeapOccupancyPercent=35',
        '-XX:+ExplicitGCInvokesConcurrent',
        '-cp',
        `${libs}/*`,
        'kafka.Kafka',
        this.nodeConfigPath(id),
      ],
      { detached: true, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    child.unref();
    writePidFile(join(this.nodeDir(id), 'pid'), child.pid!);
    this.log(
      `started kafka node ${id} (pid ${child.pid}) on 127.0.0.1:${nodePorts(this.portBase, id).client}`,
    );
  }

  private jvmOptions(): string[] {
    return [
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(REPO_ROOT, 'infra/kafka/log4j2.properties')}`,
    ];
  }
}

/** Runs infra/kafka/install.sh (a no-op once the jars are cached) and returns the jar directory. */
async function installKafkaJars(): Promise<string> {
  const installing = execFileAsync('bash', [join(REPO_ROOT, 'infra/kafka/install.sh')], {
    maxBuffer: 10 * 1024 * 1024,
  });
  // Its progress (the first fetch from Maven Central takes a minute or two) and Maven's errors.
  installing.child.stderr?.pipe(process.stderr);
  const { stdout } = await installing;
  const libs = stdout.trim().split('\n').pop();
  if (!libs || !existsSync(libs)) throw new Error(`Kafka jars not installed: ${stdout}`);
  return libs;
}

/**
 * Runs one of Kafka's own Java tools (`mainClass`, from the jars) with `args`; its standard
 * output. `heapMb` caps its heap beside the brokers; `timeoutMs` ends a tool that hangs.
 */
export async function runKafkaTool(
  mainClass: string,
  args: string[],
  { heapMb, timeoutMs }: { heapMb?: number; timeoutMs?: number } = {},
): Promise<string> {
  const libs = await installKafkaJars();
  const heap = heapMb === undefined ? [] : [`-Xmx${heapMb}m`];
  const { stdout } = await execFileAsync(
    'java',
    [...heap, '-cp', `${libs}/*`, mainClass, ...args],
    {
      maxBuffer: 10 * 1024 * 1024,
      timeout: timeoutMs,
    },
  );
  return stdout;
}

/**
 * Ready means: every broker is in the metadata and every partition of every topic (a probe topic
 * with a full replica set included) has a leader and all its replicas in sync.
 */
export async function waitUntilKafkaReady(
  bootstrapServers: string[],
  {
    timeoutMs,
    brokerCount,
    sasl,
    giveUpIf = () => undefined,
  }: {
    timeoutMs: number;
    brokerCount: number;
    sasl: SASLOptions;
    /** Checked on every probe: a reason ends the wait at once, as an error saying it. */
    giveUpIf?: () => string | undefined;
  },
): Promise<void> {
  const admin = new Kafka({
    clientId: 'kafka-readiness-probe',
    brokers: bootstrapServers,
    sasl,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await waitFor(
      async () => {
        const reason = giveUpIf();
        if (reason !== undefined) throw new StopWaiting(reason);
        await admin.connect();
        const { brokers } = await admin.describeCluster();
        if (brokers.length < brokerCount) return false;
        // A restarted node is in the metadata, even in sync, a moment before it takes clients.
        await Promise.all(bootstrapServers.map(acceptsConnections));
        await ensureProbeTopic(admin, brokerCount);
        return await allPartitionsFullyReplicated(admin);
      },
      {
        timeoutMs,
        intervalMs: 500,
        description: `kafka cluster at ${bootstrapServers.join(',')} to be ready`,
      },
    );
  } finally {
    await admin.disconnect();
  }
}

function acceptsConnections(address: string): Promise<void> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port) });
    socket.setTimeout(2_000, () => socket.destroy(new Error(`${address}: connect timed out`)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function ensureProbeTopic(admin: Admin, replicationFactor: number): Promise<void> {
  const topics = await admin.listTopics();
  if (topics.includes(PROBE_TOPIC)) return;
  await admin
    .createTopics({
      topics: [{ topic: PROBE_TOPIC, numPartitions: 1, replicationFactor }],
      waitForLeaders: true,
    })
    .catch((error: { type?: string }) => {
      if (error.type !== 'TOPIC_ALREADY_EXISTS') throw error;
    });
}

async function allPartitionsFullyReplicated(admin: Admin): Promise<boolean> {
  const { topics } = await admin.fetchTopicMetadata();
  return topics.every(({ partitions }) =>
    partitions.every(
      (partition) => partition.leader >= 0 && partition.isr.length === partition.replicas.length,
    ),
  );
}
