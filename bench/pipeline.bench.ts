/**
 * npm run bench:pipeline — the whole suite end to end: how many orders per second it carries
 * with every part running, how fast an order becomes readable, what a burst does, and what
 * limits it; each figure beside a baseline measured in the same run.
 *
 * 1. Saturation: command-service, projector and query-service as `npm start` runs them
 *    (pipeline/pipeline-suite.ts) on the 3-node cluster and PostgreSQL. `POST /orders` on an
 *    open loop from BENCH_START_RATE (200) commands/s, ×BENCH_STEP_FACTOR (1.5) per step of
 *    BENCH_STEP_SECONDS (10) s, until a step is saturated (pipeline/step-up.ts: under 95 %
 *    answered, a failure, relay or projector more than 2 s behind, or no drain). The sustained
 *    rate is the last step that was not. CPU per process (from /proc) is printed per step.
 * 2. At half the sustained rate, BENCH_PHASE_SECONDS (20) s: command latency, and command 2xx →
 *    view visible (`GET /orders/:id?minVersion=…`, read-your-writes) p50/p99.
 * 3. At twice the sustained rate, BENCH_PHASE_SECONDS s: 2xx per second against the sustained
 *    rate (aim ≥ 90 %), the p99 of accepted commands against half load's (aim ≤ 3×), refusals.
 * 4. Baselines at the sustained rate, each alone: the raw pieces (pg insert transaction as the
 *    service's, kafkajs produce of one record, pg upsert of one row), and Kafka's own
 *    EndToEndLatency tool (produce → consume, Java clients, acks=all).
 * 5. BENCH_NAIVE_EVENTS (50k) events projected by a naive projector on the built-in
 *    @nestjs/microservices Kafka transport (pipeline/naive-projector.ts) for
 *    BENCH_NAIVE_SECONDS (20) s, and by the built projector: the ratio is what the design is
 *    worth (aim ≥ 10×).
 *
 * Infrastructure as bench:queries: DATABASE_ADMIN_URL, or PostgreSQL under .local/bench/postgres
 * (BENCH_POSTGRES_PORT, 54330); KAFKA_BROKERS (with BENCH_KAFKA_CREDENTIALS), or the cluster
 * under .local/bench/kafka (BENCH_KAFKA_PORT_BASE, 19392). Everything started is stopped at the
 * end, on failure and Ctrl-C too. Run it on a quiet machine: everything shares its cores.
 */
import { Pool } from 'pg';
import { createTestDatabase } from '../test/infra/test-infra';
import { stopApp } from '../tools/local-suite/suite-apps';
import { BENCH_KAFKA_DIR } from './bench-kafka';
import {
  BENCH_POSTGRES_DIR,
  createBenchDatabase,
  startKafka,
  startPostgres,
} from './commands/bench-infra';
import { runBench } from './projector/bench-run';
import { driveReadYourWrites, percentile } from './queries/read-your-writes';
import { BacklogProbe } from './pipeline/backlog';
import { CpuWindow, type CpuUsage } from './pipeline/cpu-usage';
import { compareWithNaiveProjector } from './pipeline/naive-comparison';
import type { OpenLoopResult } from './pipeline/open-loop';
import { PARTITIONS, startPipelineSuite, type AppLogs } from './pipeline/pipeline-suite';
import {
  kafkaEndToEndLatency,
  rawInsertTransactions,
  rawProduces,
  rawUpserts,
} from './pipeline/raw-pieces';
import { stepUp, type Step } from './pipeline/step-up';

const SETTINGS = {
  steps: {
    startRate: Number(process.env.BENCH_START_RATE ?? 200),
    factor: Number(process.env.BENCH_STEP_FACTOR ?? 1.5),
    maxSteps: 12,
    seconds: Number(process.env.BENCH_STEP_SECONDS ?? 10),
    drainTimeoutMs: 60_000,
  },
  phaseSeconds: Number(process.env.BENCH_PHASE_SECONDS ?? 20),
  naive: {
    events: Number(process.env.BENCH_NAIVE_EVENTS ?? 50_000),
    naiveSeconds: Number(process.env.BENCH_NAIVE_SECONDS ?? 20),
  },
  endToEndLatency: { records: 2_000, bytes: 300 },
};

const log = (message: string) => console.log(`[bench] ${message}`);

runBench(async (teardown) => {
  const serverAdminUrl = await startPostgres(teardown);
  const cluster = await startKafka(teardown);
  const logs: AppLogs = { 'command-service': [], projector: [], 'query-service': [] };
  log('starting the three apps');
  const suite = await startPipelineSuite(cluster, serverAdminUrl, teardown, logs);

  const appByPid = new Map(
    [suite.commands, suite.projector, suite.queries].map((app) => [app.process.pid, app.app.name]),
  );
  // The bench's own brokers and PostgreSQL by their data directories: other clusters on the
  // machine count as everything else.
  const cpu = new CpuWindow((pid, commandLine, parentCommandLine) => {
    if (pid === process.pid) return 'bench driver';
    const app = appByPid.get(pid);
    if (app) return app;
    if (commandLine.includes(BENCH_KAFKA_DIR)) return 'kafka brokers (3)';
    if (`${commandLine} ${parentCommandLine}`.includes(BENCH_POSTGRES_DIR)) return 'postgresql';
    return 'everything else';
  });
  const writeDb = new Pool({ connectionString: suite.writeDbAdminUrl, max: 2 });
  const readDb = new Pool({ connectionString: suite.readDb.adminUrl, max: 2 });
  const admin = cluster.client('bench-pipeline-backlog').admin();
  await admin.connect();
  teardown.add('backlog probe', async () => {
    await admin.disconnect();
    await Promise.all([writeDb.end(), readDb.end()]);
  });
  const backlog = new BacklogProbe(writeDb, readDb, admin, suite.topic);

  // 1. Step up to saturation, after a warm-up that lets the apps' code and connections warm.
  const warmUp = Math.round(SETTINGS.steps.startRate / 4);
  log(`warm-up: ${warmUp} commands/s for 5 s`);
  await driveReadYourWrites(suite.commands.url, undefined, { rate: warmUp, seconds: 5, waitMs: 0 });
  await backlog.drained(SETTINGS.steps.drainTimeoutMs);
  const steps = await stepUp(suite.commands.url, backlog, cpu, SETTINGS.steps, log);
  printSteps(steps);
  const sustained = [...steps].reverse().find((step) => !step.saturated);
  if (!sustained) throw new Error('the first step was saturated already: lower BENCH_START_RATE');
  const capacity = sustained.achieved;

  // 2. Half the sustained rate, read-your-writes.
  const half = Math.round(capacity / 2);
  log(`read-your-writes at ${half} commands/s for ${SETTINGS.phaseSeconds} s`);
  const halfLoad = await driveReadYourWrites(suite.commands.url, suite.queries.url, {
    rate: half,
    seconds: SETTINGS.phaseSeconds,
    waitMs: 10_000,
  });
  await backlog.drained(SETTINGS.steps.drainTimeoutMs);

  // 3. Twice the sustained rate.
  const twice = Math.round(capacity * 2);
  log(`overload: ${twice} commands/s for ${SETTINGS.phaseSeconds} s`);
  const overload = await driveReadYourWrites(suite.commands.url, undefined, {
    rate: twice,
    seconds: SETTINGS.phaseSeconds,
    waitMs: 0,
  });
  await backlog.drained(SETTINGS.steps.drainTimeoutMs);
  for (const app of [suite.commands, suite.projector, suite.queries]) await stopApp(app, 10_000);

  // 4. Baselines at the sustained rate.
  const rate = Math.round(capacity);
  const seconds = SETTINGS.steps.seconds;
  log(`baselines at ${rate}/s for ${seconds} s each`);
  const raw = {
    'pg insert transaction': await rawInsertTransactions(
      await createBenchDatabase(serverAdminUrl, teardown),
      rate,
      seconds,
    ),
    'kafkajs produce': await rawProduces(
      cluster.client('bench-pipeline-raw'),
      `${suite.topic}-raw`,
      PARTITIONS,
      rate,
      seconds,
    ),
    'pg upsert': await rawUpserts(await scratchDatabase(serverAdminUrl, teardown), rate, seconds),
  };
  const { records, bytes } = SETTINGS.endToEndLatency;
  const endToEnd = await kafkaEndToEndLatency(cluster, `${suite.topic}-latency`, records, bytes);

  // 5. The naive projector against ours.
  const naive = await compareWithNaiveProjector(cluster, serverAdminUrl, teardown, {
    ...SETTINGS.naive,
    log,
  });

  const ms = (values: number[], p: number) => `${percentile(values, p).toFixed(0)} ms`;
  console.log(`\nSustained: ${capacity.toFixed(0)} commands/s with the relay publishing and the`);
  console.log(`projector keeping up (step of ${sustained.offered}/s); CPU at that step:`);
  printCpu(sustained.cpu);
  console.log(
    `\nHalf load (${half}/s, ${SETTINGS.phaseSeconds} s): command p50 ${ms(halfLoad.commandMs, 50)}, ` +
      `p99 ${ms(halfLoad.commandMs, 99)}; command 2xx → view visible p50 ${ms(halfLoad.readMs, 50)}, ` +
      `p99 ${ms(halfLoad.readMs, 99)} (${halfLoad.readMs.length} reads); failures: ${failures(halfLoad.failures)}`,
  );
  const overloadRate = overload.placed / overload.placingSeconds;
  const p99Ratio = percentile(overload.commandMs, 99) / percentile(halfLoad.commandMs, 99);
  console.log(
    `Overload (${twice}/s, ${SETTINGS.phaseSeconds} s): ${overloadRate.toFixed(0)} 2xx/s = ` +
      `${((overloadRate / capacity) * 100).toFixed(0)} % of the sustained rate (aim ≥ 90 %); ` +
      `accepted p99 ${ms(overload.commandMs, 99)} = ${p99Ratio.toFixed(1)}× half load's (aim ≤ 3×); ` +
      `answers other than 2xx: ${failures(overload.failures)}`,
  );
  console.log(`\nBaselines at ${rate}/s, each alone:`);
  for (const [name, result] of Object.entries(raw))
    console.log(`  ${formatOpenLoop(name, result)}`);
  console.log(
    `  ${'Kafka EndToEndLatency'.padEnd(24)} produce → consume, ${records} records of ${bytes} B ` +
      `one at a time: avg ${endToEnd.averageMs.toFixed(1)} ms, p50 ${endToEnd.p50Ms} ms, ` +
      `p99 ${endToEnd.p99Ms} ms`,
  );
  console.log(
    `\nProjectors on the same ${SETTINGS.naive.events} events: ours ` +
      `${naive.ours.eventsPerSecond.toFixed(0)} events/s, naive @nestjs/microservices ` +
      `${naive.naive.eventsPerSecond.toFixed(0)} events/s, ratio ` +
      `${(naive.ours.eventsPerSecond / naive.naive.eventsPerSecond).toFixed(1)}× (aim ≥ 10×)`,
  );
  printLogs(logs);
  return true;
});

async function scratchDatabase(
  serverAdminUrl: string,
  teardown: Parameters<Parameters<typeof runBench>[0]>[0],
) {
  const database = await createTestDatabase('bench_scratch', serverAdminUrl);
  teardown.add(`database ${database.name}`, () => database.drop());
  return database.url;
}

function printSteps(steps: Step[]): void {
  console.log(
    `\n${'offered/s'.padStart(9)} ${'2xx/s'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ` +
      `${'backlog'.padStart(8)} ${'drain'.padStart(6)} ${'CPU'.padStart(5)}  saturated?`,
  );
  for (const step of steps) {
    console.log(
      `${String(step.offered).padStart(9)} ${step.achieved.toFixed(0).padStart(7)} ` +
        `${`${step.p50Ms.toFixed(0)} ms`.padStart(8)} ${`${step.p99Ms.toFixed(0)} ms`.padStart(8)} ` +
        `${String(step.backlogAtEnd).padStart(8)} ` +
        `${(step.drainSeconds === undefined ? '-' : `${step.drainSeconds.toFixed(1)}s`).padStart(6)} ` +
        `${`${step.cpu.machineBusyPercent.toFixed(0)}%`.padStart(5)}  ${step.saturated ?? 'no'}`,
    );
  }
  const last = steps[steps.length - 1];
  console.log(`\nCPU at the last step (${last.offered}/s), percent of one core:`);
  printCpu(last.cpu);
}

function printCpu(usage: CpuUsage): void {
  const groups = [...usage.percentByGroup].sort((a, b) => b[1] - a[1]);
  for (const [group, percent] of groups) {
    console.log(`  ${group.padEnd(20)} ${percent.toFixed(0).padStart(4)} %`);
  }
  console.log(
    `  ${'machine busy'.padEnd(20)} ${usage.machineBusyPercent.toFixed(0).padStart(4)} % of all cores`,
  );
}

function formatOpenLoop(name: string, result: OpenLoopResult): string {
  return (
    `${name.padEnd(24)} ${result.achieved.toFixed(0).padStart(6)}/s achieved, ` +
    `p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, failures ${result.failures}`
  );
}

function failures(counts: Map<string, number>): string {
  const list = [...counts].map(([what, n]) => `${what}: ${n}`);
  return list.length === 0 ? 'none' : list.join(', ');
}

function printLogs(logs: AppLogs): void {
  for (const [name, lines] of Object.entries(logs)) {
    if (lines.length === 0) continue;
    console.log(`\n${name} printed ${lines.length} lines (first 10):`);
    for (const line of lines.slice(0, 10)) console.log(`  ${line}`);
  }
}
