/**
 * npm run bench:pipeline — the whole suite end to end: how many orders per second it carries
 * with every part running, how fast an order becomes readable, what a burst does, and what
 * limits it; each figure beside a baseline measured in the same run.
 *
 * 1. Saturation: command-service, projector and query-service as `npm start` runs them
 *    (pipeline/pipeline-suite.ts) on the 3-node cluster and PostgreSQL. After a warm-up of
 *    BENCH_WARMUP_SECONDS (120) s at half the start rate, each command read back (the brokers'
 *    JIT settles), `POST /orders` on an open loop from BENCH_START_RATE (100) commands/s,
 *    ×BENCH_STEP_FACTOR (1.5) per step of BENCH_STEP_SECONDS (10) s, until a step is saturated
 *    (pipeline/step-up.ts: under 95 % answered, over 1 % failed, relay or projector more than
 *    1 s behind, no drain within 10 s, or the driver short of its schedule). The sustained
 *    rate is the last step that was not, narrowed by two more steps between it and the first
 *    saturated one. Machine CPU per step; CPU per process (from /proc) at the sustained step and
 *    the last one, with the limiting resource named.
 * 2. At half the sustained rate, BENCH_PHASE_SECONDS (20) s each: commands alone (latency from
 *    each command's due time to its 2xx), then with each 2xx followed by a read of the order at
 *    its version (`GET /orders/:id?minVersion=…`): command 2xx → view visible p50/p99.
 * 3. At twice the sustained rate, BENCH_PHASE_SECONDS s, commands alone: 2xx per second against
 *    the sustained rate (aim ≥ 90 %), the p99 of accepted commands against half load's commands
 *    alone (aim ≤ 3×), and what was refused; for scale, the p99 at the sustained step itself
 *    against half load's, which no admission can beat (nothing is refused there).
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
 * The run fails (exit 1) on a failed read, a backlog that does not drain between phases, or a
 * driver that cannot keep its schedule; aims missed are printed, not failed.
 */
import { Pool } from 'pg';
import { createTestDatabase } from '../test/infra/test-infra';
import { stopApp } from '../tools/local-suite/suite-apps';
import {
  createBenchDatabase,
  deleteTopicsAtEnd,
  startKafka,
  startPostgres,
  type Teardown,
} from './commands/bench-infra';
import { percentile, type OpenLoopResult } from './open-loop';
import { driveOrderCommands, type OrderCommandsResult } from './order-commands';
import { BacklogProbe } from './pipeline/backlog';
import { CpuWindow, benchServerGroup, type CpuUsage } from './cpu-usage';
import { compareWithNaiveProjector } from './pipeline/naive-comparison';
import { PARTITIONS, startPipelineSuite, type AppLogs } from './pipeline/pipeline-suite';
import {
  kafkaEndToEndLatency,
  rawInsertTransactions,
  rawProduces,
  rawUpserts,
} from './pipeline/raw-pieces';
import { stepUp, type Step } from './pipeline/step-up';
import { runBench } from './projector/bench-run';
import { formatFailures, printAppLogs } from './report';

const SETTINGS = {
  steps: {
    startRate: Number(process.env.BENCH_START_RATE ?? 100),
    factor: Number(process.env.BENCH_STEP_FACTOR ?? 1.5),
    maxSteps: 12,
    refinements: 2,
    seconds: Number(process.env.BENCH_STEP_SECONDS ?? 10),
  },
  phaseSeconds: Number(process.env.BENCH_PHASE_SECONDS ?? 20),
  warmUpSeconds: Number(process.env.BENCH_WARMUP_SECONDS ?? 120),
  drainTimeoutMs: 60_000,
  readWaitMs: 10_000,
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
  const apps = [suite.commands, suite.projector, suite.queries];

  const appByPid = new Map(apps.map((app) => [app.process.pid, app.app.name]));
  // The bench's own brokers and PostgreSQL by their data directories: other clusters on the
  // machine count as everything else.
  const cpu = new CpuWindow((pid, commandLine, parentCommandLine) => {
    if (pid === process.pid) return 'bench driver';
    const app = appByPid.get(pid);
    if (app) return app;
    const server = benchServerGroup(commandLine, parentCommandLine);
    if (server) return server;
    // Kernel threads have no command line: loopback networking's softirq work shows there.
    if (commandLine === '') return 'kernel threads';
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
  const drain = async (after: string) => {
    if (!(await backlog.drained(SETTINGS.drainTimeoutMs))) {
      throw new Error(`the pipeline did not drain within 60 s after ${after}`);
    }
  };
  const readBack = { queryUrl: suite.queries.url, waitMs: SETTINGS.readWaitMs };

  // 1. Step up to saturation, after a warm-up of the whole path (reads included). The brokers'
  // JIT compiler takes about two minutes of traffic to settle: measured on 2 cores at 100
  // commands/s, their C2 compiler threads used 45 % of a core in the first minute and 7 % after
  // two, and steps taken meanwhile found the suite saturated at 40 % of its rate.
  const warmUp = Math.round(SETTINGS.steps.startRate / 2);
  log(`warm-up: ${warmUp} commands/s for ${SETTINGS.warmUpSeconds} s, each read back`);
  await driveOrderCommands(suite.commands.url, {
    rate: warmUp,
    seconds: SETTINGS.warmUpSeconds,
    readBack,
  });
  await drain('the warm-up');
  const { steps, sustained } = await stepUp(suite.commands.url, backlog, cpu, SETTINGS.steps, log);
  printSteps(steps);
  if (!sustained) throw new Error('the first step was saturated already: lower BENCH_START_RATE');
  printSustained(sustained);
  const capacity = sustained.achieved;

  // 2. Half the sustained rate: commands alone, then read back.
  const seconds = SETTINGS.phaseSeconds;
  const half = Math.round(capacity / 2);
  log(`half load: ${half} commands/s for ${seconds} s, then again with each read back`);
  const halfCommands = await driveOrderCommands(suite.commands.url, { rate: half, seconds });
  await drain('half load');
  const halfReads = await driveOrderCommands(suite.commands.url, { rate: half, seconds, readBack });
  await drain('half load with reads');

  // 3. Twice the sustained rate, commands alone.
  const twice = Math.round(capacity * 2);
  log(`overload: ${twice} commands/s for ${seconds} s`);
  const overload = await driveOrderCommands(suite.commands.url, { rate: twice, seconds });
  await drain('the overload');
  for (const app of apps) await stopApp(app, 10_000);

  // 4. Baselines at the sustained rate, each alone.
  const rate = Math.round(capacity);
  log(`baselines at ${rate}/s for ${SETTINGS.steps.seconds} s each`);
  const rawTopic = `${suite.topic}-raw`;
  const latencyTopic = `${suite.topic}-latency`;
  deleteTopicsAtEnd(cluster.client('bench-pipeline-raw'), [rawTopic, latencyTopic], teardown);
  const baselineSeconds = SETTINGS.steps.seconds;
  const raw = {
    'pg insert transaction': await rawInsertTransactions(
      await createBenchDatabase(serverAdminUrl, teardown),
      rate,
      baselineSeconds,
    ),
    'kafkajs produce': await rawProduces(
      cluster.client('bench-pipeline-raw'),
      rawTopic,
      PARTITIONS,
      rate,
      baselineSeconds,
    ),
    'pg upsert': await rawUpserts(
      await scratchDatabase(serverAdminUrl, teardown),
      rate,
      baselineSeconds,
    ),
  };
  const { records, bytes } = SETTINGS.endToEndLatency;
  const endToEnd = await kafkaEndToEndLatency(cluster, latencyTopic, records, bytes);

  // 5. The naive projector against ours.
  const naive = await compareWithNaiveProjector(cluster, serverAdminUrl, teardown, {
    ...SETTINGS.naive,
    log,
  });

  printPhases({ sustained, half, twice, halfCommands, halfReads, overload });
  console.log(`\nBaselines at ${rate}/s, ${baselineSeconds} s each, alone:`);
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
      `${naive.naive.eventsPerSecond.toFixed(0)} events/s ` +
      `(${naive.naive.events} events in ${naive.naive.seconds.toFixed(1)} s), ratio ` +
      `${(naive.ours.eventsPerSecond / naive.naive.eventsPerSecond).toFixed(1)}× (aim ≥ 10×)`,
  );
  printAppLogs(logs, 10);
  const failedReads = [...halfReads.failures].filter(([what]) => what.startsWith('GET'));
  if (failedReads.length > 0) {
    console.error(
      `\nFAILED: reads of written orders failed: ${formatFailures(new Map(failedReads))}`,
    );
    return false;
  }
  return true;
});

async function scratchDatabase(serverAdminUrl: string, teardown: Teardown): Promise<string> {
  const database = await createTestDatabase('bench_scratch', serverAdminUrl);
  teardown.add(`database ${database.name}`, () => database.drop());
  return database.url;
}

function printSteps(steps: Step[]): void {
  console.log(
    `\n${'offered/s'.padStart(9)} ${'2xx/s'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ` +
      `${'lag'.padStart(6)} ${'backlog'.padStart(8)} ${'drain'.padStart(6)} ${'CPU'.padStart(5)}  saturated?`,
  );
  for (const step of steps) {
    console.log(
      `${String(step.offered).padStart(9)} ${step.achieved.toFixed(0).padStart(7)} ` +
        `${`${step.p50Ms.toFixed(0)} ms`.padStart(8)} ${`${step.p99Ms.toFixed(0)} ms`.padStart(8)} ` +
        `${`${step.maxLagMs.toFixed(0)}ms`.padStart(6)} ${String(step.backlogAtEnd).padStart(8)} ` +
        `${(step.drainSeconds === undefined ? '-' : `${step.drainSeconds.toFixed(1)}s`).padStart(6)} ` +
        `${`${step.cpu.machineBusyPercent.toFixed(0)}%`.padStart(5)}  ${step.saturated ?? 'no'}`,
    );
  }
  console.log(
    '(lag: the driver behind its schedule; backlog: events in the outbox or on the topic',
  );
  console.log(' past the projector when the step ended; CPU: the machine, all cores)');
  const last = steps.reduce((highest, step) => (step.offered > highest.offered ? step : highest));
  console.log(
    `\nCPU at the highest step (${last.offered}/s, ${last.saturated ?? 'not saturated'}):`,
  );
  printCpu(last.cpu);
}

function printSustained(sustained: Step): void {
  console.log(
    `\nSustained: ${sustained.achieved.toFixed(0)} commands/s (step of ${sustained.offered}/s), ` +
      'relay publishing and projector keeping up. CPU there, percent of one core:',
  );
  printCpu(sustained.cpu);
}

function printCpu(usage: CpuUsage): void {
  const groups = [...usage.percentByGroup].sort((a, b) => b[1] - a[1]);
  for (const [group, percent] of groups) {
    console.log(`  ${group.padEnd(20)} ${percent.toFixed(0).padStart(4)} %`);
  }
  const busy = usage.machineBusyPercent;
  console.log(`  ${'machine busy'.padEnd(20)} ${busy.toFixed(0).padStart(4)} % of all cores`);
  console.log(`  limiting: ${limitingResource(usage)}`);
}

/**
 * The machine's cores when they are nearly all busy (and who uses most of them); else a single
 * process at one core, which a Node app (one thread for its JavaScript) cannot exceed; else none
 * of the CPU, so the time goes to waiting (round trips, locks, acknowledgements).
 */
function limitingResource(usage: CpuUsage): string {
  const [top, percent] = [...usage.percentByGroup].sort((a, b) => b[1] - a[1])[0] ?? ['-', 0];
  if (usage.machineBusyPercent >= 90) {
    return `the machine's CPU (${usage.machineBusyPercent.toFixed(0)} % busy; most of it: ${top}, ${percent.toFixed(0)} %)`;
  }
  if (percent >= 90) return `${top}, at ${percent.toFixed(0)} % of one core`;
  return `no CPU: the machine was ${usage.machineBusyPercent.toFixed(0)} % busy; time goes to waiting`;
}

function printPhases(phases: {
  sustained: Step;
  half: number;
  twice: number;
  halfCommands: OrderCommandsResult;
  halfReads: OrderCommandsResult;
  overload: OrderCommandsResult;
}): void {
  const { sustained, half, twice, halfCommands, halfReads, overload } = phases;
  const capacity = sustained.achieved;
  const seconds = SETTINGS.phaseSeconds;
  const ms = (values: number[], p: number) => `${percentile(values, p).toFixed(0)} ms`;
  console.log(
    `\nHalf load, commands alone (${half}/s, ${seconds} s): p50 ${ms(halfCommands.commandMs, 50)}, ` +
      `p99 ${ms(halfCommands.commandMs, 99)}; failures: ${formatFailures(halfCommands.failures)}`,
  );
  console.log(
    `Half load, each read back: command 2xx → view visible p50 ${ms(halfReads.readMs, 50)}, ` +
      `p99 ${ms(halfReads.readMs, 99)} (${halfReads.readMs.length} reads; commands p50 ` +
      `${ms(halfReads.commandMs, 50)}, p99 ${ms(halfReads.commandMs, 99)}); failures: ` +
      `${formatFailures(halfReads.failures)}`,
  );
  const overloadRate = overload.placed / overload.placingSeconds;
  const halfP99 = percentile(halfCommands.commandMs, 99);
  const p99Ratio = percentile(overload.commandMs, 99) / halfP99;
  console.log(
    `Overload (${twice}/s, ${seconds} s): ${overloadRate.toFixed(0)} 2xx/s = ` +
      `${((overloadRate / capacity) * 100).toFixed(0)} % of the sustained rate (aim ≥ 90 %); ` +
      `accepted p99 ${ms(overload.commandMs, 99)} = ${p99Ratio.toFixed(1)}× half load's (aim ≤ 3×); ` +
      `driver up to ${overload.maxLagMs.toFixed(0)} ms behind; refused or failed: ` +
      `${formatFailures(overload.failures)}`,
  );
  // The overload aim's floor: what no admission can beat, since at the sustained rate itself
  // nothing is refused and the machine is as busy as it gets.
  console.log(
    `  For scale: at the sustained rate itself (its step, before any overload) p99 was ` +
      `${sustained.p99Ms.toFixed(0)} ms = ${(sustained.p99Ms / halfP99).toFixed(1)}× half load's.`,
  );
}

function formatOpenLoop(name: string, result: OpenLoopResult): string {
  return (
    `${name.padEnd(24)} ${result.achieved.toFixed(0).padStart(6)}/s achieved, ` +
    `p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, failures ` +
    `${result.failures}, driver up to ${result.maxLagMs.toFixed(0)} ms behind`
  );
}
