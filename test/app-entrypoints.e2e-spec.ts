import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { migrateReadDatabase } from '@app/order-view';
import { buildApps } from './infra/build';
import { freePort } from './infra/free-port';
import {
  appKafkaEnv,
  createTestDatabase,
  testKafka,
  uniqueName,
  type TestDatabase,
} from './infra/test-infra';
import { waitFor } from '../tools/local-infra/wait-for';
import {
  startApp,
  stopApp,
  waitUntilAppReady,
  type SuiteApp,
} from '../tools/local-suite/suite-apps';

/** Each app's real entry point (dist/apps/<app>/src/main.js) against the real cluster and database. */
describe('app entry points', () => {
  let database: TestDatabase;
  const topic = uniqueName('entry_events');
  /** Each Kafka app's login (its own principal) and topic, as provisioning leaves them. */
  const kafkaEnvOf: Partial<Record<SuiteApp['name'], Record<string, string>>> = {};

  beforeAll(async () => {
    await buildApps();
    kafkaEnvOf['command-service'] = await appKafkaEnv('commandService', { topic });
    kafkaEnvOf.projector = await appKafkaEnv('projector', { topic });
    database = await createTestDatabase('apps');
    // The projector reads its schema at boot (provisioning migrates it in the suite).
    await migrateReadDatabase(database.url);
  });

  afterAll(async () => {
    await database.drop();
  });

  const apps: { name: SuiteApp['name']; usesKafka: boolean }[] = [
    { name: 'command-service', usesKafka: true },
    { name: 'projector', usesKafka: true },
    { name: 'query-service', usesKafka: false },
  ];

  function environment(name: SuiteApp['name']): Record<string, string> {
    return {
      DATABASE_URL: database.url,
      // A clean boot and shutdown log no error.
      LOG_LEVEL: 'error',
      ADMIN_TOKEN: 'test-admin-token-0123456789',
      ...kafkaEnvOf[name],
    };
  }

  it.each(apps)(
    '$name boots, reports ready, serves metrics and stops on SIGTERM',
    async ({ name, usesKafka }) => {
      const output: string[] = [];
      const running = startApp({ name, port: await freePort(), env: environment(name) }, (line) =>
        output.push(line),
      );
      try {
        await waitUntilAppReady(running);

        const ready = await fetch(`${running.url}/health/ready`);
        expect(ready.status).toBe(200);
        const expectedChecks = usesKafka ? ['database', 'kafka'] : ['database'];
        const readiness = (await ready.json()) as { checks: { kafka?: { details?: unknown } } };
        // The projector's Kafka check also shows its consumer (a member, consuming).
        if (name === 'projector') {
          expect(readiness.checks.kafka?.details).toEqual({
            consumers: [expect.objectContaining({ consuming: true, member: true })],
          });
          delete readiness.checks.kafka?.details;
        }
        expect(readiness).toEqual({
          status: 'ready',
          checks: Object.fromEntries(expectedChecks.map((check) => [check, { status: 'up' }])),
        });

        const live = await fetch(`${running.url}/health/live`, {
          headers: { 'x-correlation-id': 'trace-me-42' },
        });
        expect(live.status).toBe(200);
        expect(live.headers.get('x-correlation-id')).toBe('trace-me-42');

        const metrics = await (await fetch(`${running.url}/metrics`)).text();
        expect(metrics).toContain(`process_cpu_user_seconds_total{app="${name}"}`);
      } finally {
        await stopApp(running);
      }
      expect({ exitCode: running.process.exitCode, output }).toEqual({ exitCode: 0, output: [] });
    },
  );

  it('reports relaxed Kafka durability as a warning in /health/ready', async () => {
    const running = startApp(
      {
        name: 'command-service',
        port: await freePort(),
        env: { ...environment('command-service'), KAFKA_DURABILITY: 'relaxed' },
      },
      () => undefined,
    );
    try {
      await waitUntilAppReady(running);
      const body = (await (await fetch(`${running.url}/health/ready`)).json()) as {
        checks: { kafka: { status: string; warning?: string } };
      };
      expect(body.checks.kafka).toEqual({
        status: 'up',
        warning: expect.stringContaining('relaxed'),
      });
    } finally {
      await stopApp(running);
    }
  });

  it('refuses to boot (exit 1) when its event topic falls short of the durability contract', async () => {
    const weakTopic = uniqueName('weak_events');
    const admin = testKafka().admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: weakTopic, numPartitions: 1, replicationFactor: 1 }],
    });
    await admin.disconnect();

    const { code, stderr } = await runToExit('command-service', {
      ...environment('command-service'),
      ...(await appKafkaEnv('commandService', { topic: weakTopic, createTopics: false })),
    });
    expect(code).toBe(1);
    expect(stderr).toContain(`topic ${weakTopic}: replication.factor is 1, required >= 3`);
  });

  const kafkaApps = ['command-service', 'projector'] as const;

  it.each(kafkaApps)(
    '%s exits 1 with one line naming the problem when Kafka refuses its password',
    async (name) => {
      const wrongPassword = 'not-the-password-0123456789';
      const { code, stderr } = await runToExit(name, {
        ...environment(name),
        KAFKA_SASL_PASSWORD: wrongPassword,
      });
      expect(code).toBe(1);
      const lines = stderr.split('\n').filter((line) => line.trim() !== '');
      expect(lines).toEqual([
        expect.stringMatching(
          new RegExp(
            `^${name}: Kafka refused to authenticate principal User:${name} .*invalid credentials`,
          ),
        ),
      ]);
      expect(stderr).not.toContain(wrongPassword);
    },
  );

  it.each(kafkaApps)(
    '%s refuses to boot without Kafka credentials, even with relaxed durability',
    async (name) => {
      const env: Record<string, string> = { ...environment(name), KAFKA_DURABILITY: 'relaxed' };
      delete env.KAFKA_SASL_USERNAME;
      delete env.KAFKA_SASL_PASSWORD;
      const { code, stderr } = await runToExit(name, env);
      expect(code).toBe(1);
      expect(stderr).toMatch(/^ {2}- KAFKA_SASL_USERNAME: .*\(not set\)$/m);
      expect(stderr).toMatch(/^ {2}- KAFKA_SASL_PASSWORD: .*\(not set\)$/m);
      expect(stderr).not.toContain('    at ');
    },
  );

  it("redacts credentials in the projector's request log: authorization, cookies, *-token and *-key headers", async () => {
    const output: string[] = [];
    const adminToken = 'test-admin-token-0123456789';
    const running = startApp(
      {
        name: 'projector',
        port: await freePort(),
        // Headers are logged at debug level only: the level where redaction has work to do.
        env: { ...environment('projector'), LOG_LEVEL: 'debug' },
      },
      (line) => output.push(line),
    );
    try {
      await waitUntilAppReady(running);
      const response = await fetch(`${running.url}/admin/projections/order-view`, {
        headers: {
          authorization: `Bearer ${adminToken}`,
          cookie: 'session=cookie-secret-42',
          'x-api-key': 'api-key-secret-42',
          'x-upstream-token': 'upstream-token-secret-42',
          'x-correlation-id': 'redaction-check-1',
        },
      });
      expect(response.status).toBe(200);
      const requestLine = await waitFor(
        () => output.find((line) => line.includes('redaction-check-1') && line.includes('"req"')),
        { timeoutMs: 10_000, description: 'the admin request in the log' },
      );
      const logged = JSON.parse(requestLine) as { req: { headers: Record<string, string> } };
      expect(logged.req.headers).toMatchObject({
        authorization: '[Redacted]',
        cookie: '[Redacted]',
        'x-api-key': '[Redacted]',
        'x-upstream-token': '[Redacted]',
      });
    } finally {
      await stopApp(running);
    }
    const everything = output.join('\n');
    for (const secret of [
      adminToken,
      'cookie-secret-42',
      'api-key-secret-42',
      'upstream-token-secret-42',
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it.each(apps)(
    '$name refuses to boot on a bad environment, one line per problem',
    async ({ name }) => {
      const { code, stderr } = await runToExit(name, { PORT: 'eighty', KAFKA_DURABILITY: 'loose' });
      expect(code).toBe(1);
      expect(stderr).toMatch(/^ {2}- PORT: .*\(got "eighty"\)$/m);
      expect(stderr).toMatch(/^ {2}- DATABASE_URL: /m);
    },
  );
});

function runToExit(
  app: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [resolve(__dirname, '../dist/apps', app, 'src/main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((done) => child.once('close', (code) => done({ code, stderr })));
}
