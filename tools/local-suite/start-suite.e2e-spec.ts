import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TEST_KAFKA_PORT_BASE } from '../../test/infra/local-infra';
import { Client } from 'pg';
import { freePort } from '../../test/infra/free-port';
import { uniqueName } from '../../test/infra/test-infra';
import { createTopicsAndWait } from '@app/kafka';
import { nodePorts } from '../local-infra/kafka-broker-settings';
import { readCredentials, scramSasl } from '../local-infra/kafka-credentials';
import { StopWaiting, waitFor, withTimeout } from '../local-infra/wait-for';

const root = resolve(__dirname, '../..');
// Beside the test cluster's ports (19192 → 19292 by default), so that two checkouts running their
// suites side by side (TEST_KAFKA_PORT_BASE) do not collide here either.
const KAFKA_PORT_BASE = TEST_KAFKA_PORT_BASE + 100;
const kafkaBrokers = [1, 2, 3].map((id) => `127.0.0.1:${nodePorts(KAFKA_PORT_BASE, id).client}`);

/**
 * The README's start command: brings up Kafka ×3, PostgreSQL and the three apps, stops all of
 * it on Ctrl-C (SIGINT to the terminal's process group) or on a SIGINT to npm's pid alone (what a
 * process manager sends), and keeps the data for the next start.
 */
describe('npm start (the whole suite)', () => {
  const dataDir = join(root, '.local/test-infra', uniqueName('suite'));
  let ports: { postgres: number; commandService: number; queryService: number; projector: number };
  let running: Suite | undefined;

  beforeAll(async () => {
    ports = {
      postgres: await freePort(),
      commandService: await freePort(),
      queryService: await freePort(),
      projector: await freePort(),
    };
  });

  afterAll(async () => {
    // A failed assertion leaves the suite running: stop it before removing its data.
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      await interrupt(running).catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts everything, stops everything on Ctrl-C or kill -INT, and keeps the data across restarts', async () => {
    const marker = uniqueName('kept');
    const writeDbUrl = `postgres://postgres:postgres@127.0.0.1:${ports.postgres}/orders_write`;

    const first = await startSuite();
    await expectAppsReady();
    expectNoSecretPrinted(first);
    await createTopic(marker);
    await sql(writeDbUrl, `CREATE TABLE ${marker} (id int); INSERT INTO ${marker} VALUES (42)`);
    await interrupt(first);
    expectNothingLeftRunning();

    const second = await startSuite();
    await expectAppsReady();
    expect(await topicNames()).toContain(marker);
    expect(await sql(writeDbUrl, `SELECT id FROM ${marker}`)).toEqual([{ id: 42 }]);
    // What a process manager does: SIGINT to the pid it started (npm's), not to a process group.
    await interrupt(second, 'npm only');
    expectNothingLeftRunning();
    // Two whole lifecycles of the suite (build, Kafka ×3, PostgreSQL, apps), start to stop.
  }, 420_000);

  interface Suite {
    child: ChildProcess;
    output: () => string;
  }

  async function startSuite(): Promise<Suite> {
    // Its own process group, like a terminal's foreground job, so Ctrl-C can be sent to all of it.
    const child = spawn('npm', ['start'], {
      cwd: root,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SUITE_DATA_DIR: dataDir,
        SUITE_KAFKA_PORT_BASE: String(KAFKA_PORT_BASE),
        SUITE_POSTGRES_PORT: String(ports.postgres),
        COMMAND_SERVICE_PORT: String(ports.commandService),
        QUERY_SERVICE_PORT: String(ports.queryService),
        PROJECTOR_PORT: String(ports.projector),
        LOG_LEVEL: 'warn',
      },
    });
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    await waitFor(
      () => {
        if (child.exitCode !== null) throw new StopWaiting(`npm start exited early:\n${output}`);
        return output.includes('Ctrl-C stops everything');
      },
      { timeoutMs: 300_000, intervalMs: 500, description: 'the suite to report ready' },
    );
    for (const port of Object.values(appPorts())) {
      expect(output).toContain(`http://127.0.0.1:${port}`);
    }
    running = { child, output: () => output };
    return running;
  }

  function appPorts() {
    return {
      commandService: ports.commandService,
      queryService: ports.queryService,
      projector: ports.projector,
    };
  }

  async function expectAppsReady(): Promise<void> {
    for (const port of Object.values(appPorts())) {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      expect(response.status).toBe(200);
    }
  }

  async function interrupt(
    { child, output }: Suite,
    to: 'process group' | 'npm only' = 'process group',
  ): Promise<void> {
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.once('close', (code, signal) => done({ code, signal })),
    );
    process.kill(to === 'npm only' ? child.pid! : -child.pid!, 'SIGINT');
    const { code, signal } = await withTimeout(exited, 120_000, 'the suite stopping').catch(
      (error: Error) => {
        throw new Error(`${error.message}:\n${output()}`);
      },
    );
    // npm reports a Ctrl-C'd script as ended by SIGINT; the launcher itself says it stopped in order.
    expect([code, signal]).toEqual(code === 0 ? [0, null] : [null, 'SIGINT']);
    expect(output()).toContain('[suite] stopped');
    expect(output()).not.toContain('exited unexpectedly');
  }

  /** Every secret the suite generated stays in its file: the output only says where. */
  function expectNoSecretPrinted({ output }: Suite): void {
    const secrets = readdirSync(dataDir)
      .filter((name) => name === 'admin-token' || name.startsWith('db-password-'))
      .map((name) => readFileSync(join(dataDir, name), 'utf8').trim());
    const kafka = readCredentials(join(dataDir, 'kafka', 'credentials.json'));
    secrets.push(
      kafka.superUser.password,
      ...Object.values(kafka.principals).map((p) => p.password),
    );
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    for (const secret of secrets) expect(output()).not.toContain(secret);
    expect(output()).toContain(`Bearer <the token in ${join(dataDir, 'admin-token')}>`);
  }

  /** The suite's Kafka, as its super user. */
  function suiteKafka(): Kafka {
    const { superUser } = readCredentials(join(dataDir, 'kafka', 'credentials.json'));
    return new Kafka({
      brokers: kafkaBrokers,
      sasl: scramSasl(superUser),
      logLevel: logLevel.NOTHING,
    });
  }

  /** No Kafka node or PostgreSQL server of this data directory is left. */
  function expectNothingLeftRunning(): void {
    expect(processesMentioning(dataDir)).toEqual([]);
  }

  async function createTopic(topic: string): Promise<void> {
    const admin = suiteKafka().admin();
    await admin.connect();
    await createTopicsAndWait(admin, [{ topic, replicationFactor: 3 }]);
    await admin.disconnect();
  }

  async function topicNames(): Promise<string[]> {
    const admin = suiteKafka().admin();
    await admin.connect();
    const topics = await admin.listTopics();
    await admin.disconnect();
    return topics;
  }
});

async function sql(url: string, text: string): Promise<unknown[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(text);
    return (Array.isArray(result) ? result.at(-1)! : result).rows as unknown[];
  } finally {
    await client.end();
  }
}

function processesMentioning(text: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmdline.includes(text) ? [`${pid}: ${cmdline.slice(0, 160)}`] : [];
      } catch {
        return [];
      }
    });
}
