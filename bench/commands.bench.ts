/**
 * npm run bench:commands — the command-service's two throughputs, each against a baseline in the
 * same run, on the real 3-node Kafka cluster and PostgreSQL.
 *
 * 1. Commands: `POST /orders` (the harness's `anOrder`) driven by autocannon, 64 connections,
 *    a 3 s warm-up then BENCH_SECONDS (20) s, against the built service (dist/, LOG_LEVEL=warn)
 *    and against a minimal node:http + pg server (commands/baseline-command-server.ts) doing the
 *    same insert (order_events + outbox, one transaction, the service's SQL) on a pool of the
 *    same size (BENCH_POOL_MAX, 10 = the service's default). They alternate, BENCH_ROUNDS (3)
 *    runs each, and the best of each counts; tables are truncated before every run. Any non-2xx
 *    answer or connection error fails the bench.
 *    During these runs the bench holds the outbox relay's lease, so the service's relay
 *    stands by and both sides do the same work: with Kafka's three brokers on the same two
 *    cores, publishing would otherwise take CPU from the service only. One more run with the
 *    relay publishing is printed for information (not in the ratio).
 * 2. Publishing: one service runs throughout. Each round the bench takes the relay lease from
 *    it, stores BENCH_EVENTS (100k) OrderPlaced events directly in order_events + outbox, gives
 *    the lease back, and polls the outbox depth every 100 ms until empty (timed from the first
 *    poll that sees rows gone, so the takeover is not counted).
 *    Baseline: raw kafkajs with the relay's producer settings (idempotent, one request in
 *    flight, acks -1) sending the same records in batches of OUTBOX_BATCH_SIZE (500), one send
 *    at a time, to a topic of its own. Alternating, BENCH_ROUNDS runs each, best of each.
 *
 * Infrastructure: KAFKA_BROKERS (with BENCH_KAFKA_CREDENTIALS), or bench:kafka's cluster under
 * .local/bench/kafka (ports 19392/19402/19412); DATABASE_ADMIN_URL, or PostgreSQL under
 * .local/bench/postgres (port BENCH_POSTGRES_PORT, 54330). A fresh database and fresh topics
 * per run; everything started is stopped at the end, on failure and Ctrl-C too. The bench logs
 * in to Kafka as the super user and provisions the service's topics and ACLs; the service logs
 * in as its own principal.
 */
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { freePort } from '../test/infra/free-port';
import { createDurableTopic } from '../test/infra/topics';
import {
  startApp,
  stopApp,
  waitUntilAppReady,
  type RunningApp,
} from '../tools/local-suite/suite-apps';
import {
  Teardown,
  createBenchDatabase,
  deleteTopicsAtEnd,
  startKafka,
  startPostgres,
} from './commands/bench-infra';
import { driveOrders, startBaselineServer, type LoadResult } from './commands/http-load';
import {
  fillOutbox,
  makePlacedOrders,
  outboxDepth,
  timeOutboxDrain,
  timeRawProducer,
  type PublishRate,
} from './commands/outbox-publishing';
import type { PlacedOrder } from './commands/placed-orders';
import {
  assertRelayStandby,
  pauseRelay,
  takeOverRelay,
  waitUntilRelayLeads,
} from './commands/relay-control';

const SETTINGS = {
  connections: 64,
  warmUpSeconds: 3,
  seconds: Number(process.env.BENCH_SECONDS ?? 20),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  poolMax: Number(process.env.BENCH_POOL_MAX ?? 10),
  events: Number(process.env.BENCH_EVENTS ?? 100_000),
  /** The relay's OUTBOX_BATCH_SIZE default. */
  batchSize: 500,
};
/** Provisioning creates the service's topics with ORDER_EVENTS_PARTITIONS, 6 by default. */
const PARTITIONS = 6;

const SERVICE = 'command-service';
const BASELINE = 'baseline node:http + pg';
const SERVICE_PUBLISHING = 'command-service, relay on';

interface BenchContext {
  teardown: Teardown;
  databaseUrl: string;
  /** Superuser access to the bench database: truncating, filling, polling. */
  db: Pool;
  kafka: Kafka;
  topics: { commands: string; relay: string; raw: string };
  /** The service's Kafka environment (its own login) for the commands and the relay topic. */
  kafkaEnv: { commands: Record<string, string>; relay: Record<string, string> };
  /** Everything the service printed; at LOG_LEVEL=warn that is warnings and errors only. */
  serviceLog: string[];
  baselineLog: string[];
}

interface CommandFigures {
  best: LoadResult;
  /** Over all runs, warm-ups included. */
  failures: number;
}

interface CommandResults {
  service: CommandFigures;
  baseline: CommandFigures;
  /** The informational run; `backlog` is the outbox depth at its end. */
  publishing: LoadResult & { backlog: number };
}

interface PublishResults {
  relay: PublishRate;
  raw: PublishRate;
}

async function main(): Promise<void> {
  const teardown = new Teardown();
  stopOnSignal(teardown);
  try {
    const context = await setUp(teardown);
    const commands = await compareCommands(context);
    const publishing = await comparePublishing(context);
    printReport(commands, publishing);
    printLogs(context);
    const failures =
      commands.service.failures + commands.baseline.failures + commands.publishing.failures;
    if (failures > 0) {
      console.error(`\nFAILED: ${failures} non-2xx answers or connection errors (see above)`);
      process.exitCode = 1;
    }
  } finally {
    await teardown.run();
  }
}

async function setUp(teardown: Teardown): Promise<BenchContext> {
  const [cluster, adminUrl] = await Promise.all([startKafka(teardown), startPostgres(teardown)]);
  const databaseUrl = await createBenchDatabase(adminUrl, teardown);
  const db = new Pool({ connectionString: databaseUrl, max: 2 });
  teardown.add('bench database pool', () => db.end());
  const kafka = cluster.client('bench-commands');
  const run = Date.now().toString(36);
  const topics = {
    commands: `bench-commands-${run}`,
    relay: `bench-relay-${run}`,
    raw: `bench-raw-${run}`,
  };
  // Provisioning creates a DLQ beside each topic the service is given.
  const dlqs = [`${topics.commands}.dlq`, `${topics.relay}.dlq`];
  deleteTopicsAtEnd(kafka, [...Object.values(topics), ...dlqs], teardown);
  const serviceEnv = (topic: string) =>
    cluster.appEnv('commandService', { topic, partitions: PARTITIONS });
  const kafkaEnv = {
    commands: await serviceEnv(topics.commands),
    relay: await serviceEnv(topics.relay),
  };
  return { teardown, databaseUrl, db, kafka, topics, kafkaEnv, serviceLog: [], baselineLog: [] };
}

/**
 * Service and baseline alternately, the best run of each kept, with the service's relay paused
 * so that both do exactly the same work; then one run of the service with its relay publishing.
 */
async function compareCommands(context: BenchContext): Promise<CommandResults> {
  const relay = await pauseRelay(context.databaseUrl);
  context.teardown.add('relay pause', () => relay.resume());
  const service = await startCommandService(context, context.kafkaEnv.commands);
  await waitUntilAppReady(service);
  const baseline = await startBaselineServer(context.databaseUrl, SETTINGS.poolMax, (line) =>
    context.baselineLog.push(line),
  );
  context.teardown.add('baseline server', () => baseline.stop());

  let serviceFigures: CommandFigures | undefined;
  let baselineFigures: CommandFigures | undefined;
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    serviceFigures = keepBest(
      serviceFigures,
      await loadRun(context, `round ${round}`, SERVICE, service.url),
    );
    baselineFigures = keepBest(
      baselineFigures,
      await loadRun(context, `round ${round}`, BASELINE, baseline.url),
    );
  }
  await baseline.stop();
  await assertRelayStandby(service.url);

  await relay.resume();
  await waitUntilRelayLeads(service.url);
  const publishing = await loadRun(context, 'extra', SERVICE_PUBLISHING, service.url);
  const backlog = await outboxDepth(context.db);
  await stopApp(service, 10_000);
  return {
    service: serviceFigures!,
    baseline: baselineFigures!,
    publishing: { ...publishing, backlog },
  };
}

async function loadRun(
  context: BenchContext,
  label: string,
  name: string,
  url: string,
): Promise<LoadResult> {
  await context.db.query('TRUNCATE order_events, outbox, idempotency_keys');
  const result = await driveOrders(url, SETTINGS);
  console.log(`${label.padEnd(9)} ${name.padEnd(30)} ${formatLoad(result)}  ${result.failures}`);
  return result;
}

function keepBest(previous: CommandFigures | undefined, run: LoadResult): CommandFigures {
  const failures = (previous?.failures ?? 0) + run.failures;
  if (previous && previous.best.commandsPerSecond >= run.commandsPerSecond) {
    return { best: previous.best, failures };
  }
  return { best: run, failures };
}

/**
 * The relay draining a pre-filled outbox and raw kafkajs sending the same records, alternately.
 * One service process drains every fill, as the raw side's one bench process sends every batch:
 * both are warm from the second round on (a fresh process per round ran the relay cold).
 */
async function comparePublishing(context: BenchContext): Promise<PublishResults> {
  const orders = makePlacedOrders(SETTINGS.events);
  await createDurableTopic(context.kafka, context.topics.raw, PARTITIONS);
  const service = await startCommandService(context, context.kafkaEnv.relay);
  let relay: PublishRate | undefined;
  let raw: PublishRate | undefined;
  try {
    await waitUntilAppReady(service);
    for (let round = 1; round <= SETTINGS.rounds; round++) {
      const relayRun = await timeRelay(context, service, orders);
      console.log(`round ${round}   ${'command-service relay'.padEnd(30)} ${formatRate(relayRun)}`);
      const rawRun = await timeRawProducer(
        context.kafka,
        context.topics.raw,
        orders,
        SETTINGS.batchSize,
      );
      console.log(`round ${round}   ${'raw kafkajs'.padEnd(30)} ${formatRate(rawRun)}`);
      relay = faster(relay, relayRun);
      raw = faster(raw, rawRun);
    }
  } finally {
    await stopApp(service, 10_000);
  }
  return { relay: relay!, raw: raw! };
}

/**
 * Takes the relay lease from the running service, stores `orders`, and gives the lease back:
 * timed from the relay's first deleted rows until the outbox is empty.
 */
async function timeRelay(
  context: BenchContext,
  service: RunningApp,
  orders: PlacedOrder[],
): Promise<PublishRate> {
  const paused = await takeOverRelay(context.databaseUrl);
  try {
    await fillOutbox(context.db, orders);
  } finally {
    await paused.resume();
  }
  return timeOutboxDrain(context.db, orders.length, {
    isAlive: () => service.process.exitCode === null,
  });
}

function faster(previous: PublishRate | undefined, run: PublishRate): PublishRate {
  return previous && previous.eventsPerSecond >= run.eventsPerSecond ? previous : run;
}

/** The built service (npm run build) as a child process; stopped at the end if still running. */
async function startCommandService(
  context: BenchContext,
  kafkaEnv: Record<string, string>,
): Promise<RunningApp> {
  const app = startApp(
    {
      name: 'command-service',
      port: await freePort(),
      env: {
        DATABASE_URL: context.databaseUrl,
        DATABASE_POOL_MAX: String(SETTINGS.poolMax),
        ...kafkaEnv,
        OUTBOX_BATCH_SIZE: String(SETTINGS.batchSize),
        LOG_LEVEL: 'warn',
      },
    },
    (line) => context.serviceLog.push(line),
  );
  context.teardown.add('command-service', () => stopApp(app, 10_000));
  return app;
}

function printReport(commands: CommandResults, publishing: PublishResults): void {
  console.log(
    `\nPOST /orders: ${SETTINGS.connections} connections, ${SETTINGS.seconds} s after a ` +
      `${SETTINGS.warmUpSeconds} s warm-up, best of ${SETTINGS.rounds} alternating runs each, ` +
      `pool ${SETTINGS.poolMax}, relay paused`,
  );
  console.log(
    `  ${''.padEnd(30)} ${'commands/s'.padStart(10)} ${'p50'.padStart(8)} ${'p99'.padStart(8)}  failures`,
  );
  console.log(
    `  ${SERVICE.padEnd(30)} ${formatLoad(commands.service.best)}  ${commands.service.failures}`,
  );
  console.log(
    `  ${BASELINE.padEnd(30)} ${formatLoad(commands.baseline.best)}  ${commands.baseline.failures}`,
  );
  const ratio = commands.service.best.commandsPerSecond / commands.baseline.best.commandsPerSecond;
  console.log(
    `  ${'ratio service / baseline'.padEnd(30)} ${ratio.toFixed(2).padStart(10)}  (target >= 0.5, aim 0.8)`,
  );
  console.log(
    `  ${SERVICE_PUBLISHING.padEnd(30)} ${formatLoad(commands.publishing)}  ${commands.publishing.failures}` +
      `  (one run, for information; outbox backlog at its end: ${commands.publishing.backlog})`,
  );

  console.log(
    `\nOutbox -> Kafka: ${SETTINGS.events} OrderPlaced events, batches of ${SETTINGS.batchSize}, ` +
      `acks -1, idempotent, 1 in flight, best of ${SETTINGS.rounds} alternating runs each`,
  );
  console.log(`  ${'command-service relay'.padEnd(30)} ${formatRate(publishing.relay)}`);
  console.log(`  ${'raw kafkajs'.padEnd(30)} ${formatRate(publishing.raw)}`);
  const publishRatio = publishing.relay.eventsPerSecond / publishing.raw.eventsPerSecond;
  console.log(
    `  ${'ratio relay / raw'.padEnd(30)} ${publishRatio.toFixed(2).padStart(10)}  (target >= 0.85)`,
  );
}

function printLogs(context: BenchContext): void {
  for (const [name, lines] of [
    ['command-service', context.serviceLog],
    ['baseline', context.baselineLog],
  ] as const) {
    if (lines.length === 0) continue;
    console.log(`\n${name} printed ${lines.length} lines (first 20):`);
    for (const line of lines.slice(0, 20)) console.log(`  ${line}`);
  }
}

function formatRate(rate: PublishRate): string {
  return `${rate.eventsPerSecond.toFixed(0).padStart(10)} events/s`;
}

function formatLoad(result: LoadResult): string {
  return (
    `${result.commandsPerSecond.toFixed(0).padStart(10)} ` +
    `${`${result.p50Ms} ms`.padStart(8)} ${`${result.p99Ms} ms`.padStart(8)}`
  );
}

/** Ctrl-C still stops the apps, Kafka and PostgreSQL. */
function stopOnSignal(teardown: Teardown): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`[bench] ${signal}: stopping everything`);
      void teardown.run().finally(() => process.exit(130));
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
