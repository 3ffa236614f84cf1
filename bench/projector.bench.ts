/**
 * npm run bench:projector — the projector's throughput against a baseline in the same run, and
 * the time a replay takes, on the real 3-node Kafka cluster and PostgreSQL.
 *
 * 1. Live projection, BENCH_ROUNDS (3) rounds, each on a topic, read databases and projector of
 *    its own; the best rate of each side over the rounds gives the ratio printed last (the
 *    machine's other work slows either side by turns). Each round: BENCH_EVENTS (200k) valid
 *    order events (orderHistory over many orders, interleaved; the same ones every round)
 *    produced to a fresh 6-partition topic before the projector starts. The built
 *    projector (BENCH_DIST_DIR or dist/, LOG_LEVEL=warn, default settings: 6 partitions at once,
 *    pool 10) then reads them into a fresh read database; timed from the first checkpoint
 *    polled until every partition's checkpoint reaches the topic's end offset.
 *    Baseline: the same rows (projectOrderEvent, each partition's events in offset order)
 *    upserted into another fresh read database with pg alone, in batches of the projector's
 *    mean batch size (its projector_batch_size histogram), each batch one transaction with the
 *    checkpoint, with the projector's own SQL, as many partitions at once on as large a pool.
 *    Both views must come out identical. Each side's CPU per event is printed by process (the
 *    projector, PostgreSQL and the brokers; the bench, which writes the baseline, and
 *    PostgreSQL), from /proc over its run: on two saturated cores the rates follow it.
 * 2. Replay, on the last round's projector: the topic grown to BENCH_REPLAY_EVENTS (1M) events
 *    (the live projector keeps up meanwhile, untimed), then POST
 *    /admin/projections/order-view/replay, timed until currentGeneration changes; the replayed
 *    view must equal the live one; its CPU per event by process as above.
 *
 * Order ids are time-ordered as the command-service makes them; BENCH_ORDER_IDS=random makes
 * them version 4 UUIDs, as it made them before (a log written then).
 *
 * Infrastructure as bench:commands: KAFKA_BROKERS (with BENCH_KAFKA_CREDENTIALS), or the
 * cluster under .local/bench/kafka (ports 19392/19402/19412); DATABASE_ADMIN_URL, or
 * PostgreSQL under .local/bench/postgres (port BENCH_POSTGRES_PORT, 54330). Fresh databases and
 * topics; everything started is stopped at the end, on failure and Ctrl-C too. The projector
 * logs in to Kafka as its own principal, with its ACLs provisioned by the bench (super user).
 */
import { isDeepStrictEqual } from 'node:util';
import { logLevel, type Kafka } from 'kafkajs';
import { Pool } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import { stopApp, type RunningApp } from '../tools/local-suite/suite-apps';
import type { BenchKafka } from './bench-kafka';
import {
  deleteTopicsAtEnd,
  startKafka,
  startPostgres,
  type Teardown,
} from './commands/bench-infra';
import type { PublishRate } from './commands/outbox-publishing';
import { createReadDatabase, type ReadDatabase } from './projector/app-databases';
import { runBench } from './projector/bench-run';
import { eventsProjected, timeCatchUp, waitUntilCaughtUp } from './projector/catch-up';
import { cpuWindow, printLiveCpu, printReplayCpu, type SideCpu } from './projector/cpu-per-event';
import { timeDirectUpserts } from './projector/direct-upserts';
import { OrderEventsTopic, interleavedOrderEvents, orderIdsFrom } from './projector/order-events';
import { meanBatchSize, startProjector, timeReplay } from './projector/projector-app';
import { viewFingerprint, type ViewFingerprint } from './projector/view-fingerprint';

const SETTINGS = {
  events: Number(process.env.BENCH_EVENTS ?? 200_000),
  replayEvents: Number(process.env.BENCH_REPLAY_EVENTS ?? 1_000_000),
  rounds: Number(process.env.BENCH_ROUNDS ?? 3),
  orderIds: orderIdsFrom(process.env.BENCH_ORDER_IDS),
  partitions: 6,
  /**
   * The projector's PROJECTOR_PARTITIONS_CONCURRENTLY and DATABASE_POOL_MAX: their defaults, or
   * what the environment sets (the projector inherits it), for the baseline too.
   */
  concurrency: Number(process.env.PROJECTOR_PARTITIONS_CONCURRENTLY ?? 6),
  poolMax: Number(process.env.DATABASE_POOL_MAX ?? 10),
};

const log = (message: string) => console.log(`[bench] ${message}`);

interface BenchContext {
  teardown: Teardown;
  cluster: BenchKafka;
  serverAdminUrl: string;
  kafka: Kafka;
  run: string;
  /** Everything the projector printed; at LOG_LEVEL=warn that is warnings and errors only. */
  projectorLog: string[];
}

interface ReplayResults {
  rate: PublishRate;
  cpu: SideCpu;
  batchSize: number;
  identical: boolean;
}

interface LiveResults {
  projector: PublishRate;
  baseline: PublishRate;
  projectorCpu: SideCpu;
  baselineCpu: SideCpu;
  batchSize: number;
  view: ViewFingerprint;
  identical: boolean;
}

/** One live round's projector, kept running for the replay after the last round. */
interface LiveRound {
  topic: OrderEventsTopic;
  projector: RunningApp;
  db: Pool;
  readDb: ReadDatabase;
  results: LiveResults;
}

runBench(async (teardown) => {
  const context = await setUp(teardown);
  log(`order ids: ${SETTINGS.orderIds.name}`);
  const events = [...interleavedOrderEvents(SETTINGS.events, SETTINGS.orderIds.newId)];
  const rounds: LiveRound[] = [];
  for (let round = 1; round <= SETTINGS.rounds; round++) {
    // The previous round's projector would compete for the cores.
    if (rounds.length > 0) await stopApp(rounds[rounds.length - 1].projector);
    log(`live round ${round} of ${SETTINGS.rounds}`);
    rounds.push(await liveRound(context, round, events));
    printLive(rounds[rounds.length - 1].results);
  }
  printBestOf(rounds.map((round) => round.results));
  const last = rounds[rounds.length - 1];
  const replay = await timeReplayOf(last);
  printReplay(replay);
  printLog(context.projectorLog);
  return rounds.every((round) => round.results.identical) && replay.identical;
});

async function setUp(teardown: Teardown): Promise<BenchContext> {
  const [cluster, serverAdminUrl] = await Promise.all([
    startKafka(teardown),
    startPostgres(teardown),
  ]);
  const kafka = cluster.client('bench-projector', logLevel.NOTHING);
  const run = Date.now().toString(36);
  return { teardown, cluster, serverAdminUrl, kafka, run, projectorLog: [] };
}

/** A fresh topic holding `events`, a fresh read database and a projector started on them. */
async function liveRound(
  context: BenchContext,
  round: number,
  events: OrderEventEnvelope[],
): Promise<LiveRound> {
  const { teardown } = context;
  const name = `bench-projector-${context.run}-${round}`;
  const topic = new OrderEventsTopic(context.kafka, name, SETTINGS.partitions);
  // Provisioning the projector's ACLs (startProjector) creates the dead-letter topic.
  deleteTopicsAtEnd(context.kafka, [topic.name, `${topic.name}.dlq`], teardown);
  await topic.create();
  teardown.add('producer', () => topic.close());
  await produce(topic, events);

  const readDb = await createReadDatabase(context.serverAdminUrl, 'bench_projector', teardown);
  const projector = await startProjector(
    {
      databaseUrl: readDb.projectorUrl,
      kafka: context.cluster,
      topic: topic.name,
      partitions: SETTINGS.partitions,
      groupId: `bench-projector-${context.run}-${round}`,
    },
    teardown,
    context.projectorLog,
  );
  const db = new Pool({ connectionString: readDb.adminUrl, max: 2 });
  teardown.add('read database pool', () => db.end());
  const results = await compareLive(context, topic, projector, readDb, db, events);
  return { topic, projector, db, readDb, results };
}

async function produce(topic: OrderEventsTopic, events: Iterable<OrderEventEnvelope>) {
  const every = 100_000;
  await topic.append(events, (sent) => {
    if (sent % every === 0) log(`produced ${sent} events`);
  });
}

/** The projector through the pre-produced topic, then pg alone doing its database work. */
async function compareLive(
  context: BenchContext,
  topic: OrderEventsTopic,
  projector: RunningApp,
  readDb: ReadDatabase,
  db: Pool,
  events: OrderEventEnvelope[],
): Promise<LiveResults> {
  const endOffsets = await topic.endOffsets();
  log(`projector: catching up with ${SETTINGS.events} events`);
  // The projector starts as soon as it has joined its group: its CPU counts from here, over the
  // events it had not projected yet.
  const projectorWindow = cpuWindow(projector.process.pid);
  projectorWindow.start();
  const projectedBefore = await eventsProjected(db, topic.name, endOffsets);
  const projectorRate = await timeCatchUp(db, topic.name, endOffsets, {
    isAlive: () => projector.process.exitCode === null,
    log,
  });
  const projectorCpu = {
    usage: projectorWindow.stop(),
    events: SETTINGS.events - projectedBefore,
  };
  log(`projector: ${formatRate(projectorRate)}`);
  const batchSize = Math.round(await meanBatchSize(projector, 'live'));
  const view = await viewFingerprint(readDb.adminUrl);

  const baselineDb = await createReadDatabase(
    context.serverAdminUrl,
    'bench_upserts',
    context.teardown,
  );
  log(`baseline: upserting the same rows in batches of ${batchSize}`);
  const { rate: baseline, cpu: baselineUsage } = await timeDirectUpserts(
    baselineDb.projectorUrl,
    topic.name,
    byPartition(topic, events),
    {
      batchSize,
      concurrency: SETTINGS.concurrency,
      poolMax: SETTINGS.poolMax,
      cpu: cpuWindow(),
    },
  );
  const baselineCpu = { usage: baselineUsage, events: baseline.events };
  log(`baseline: ${formatRate(baseline)}`);
  const baselineView = await viewFingerprint(baselineDb.adminUrl);
  const orders = events.filter((event) => event.type === 'OrderPlaced').length;
  const identical =
    isDeepStrictEqual(view, baselineView) &&
    view.rows === orders &&
    view.appliedEvents === events.length &&
    view.parked === 0;
  return {
    projector: projectorRate,
    baseline,
    projectorCpu,
    baselineCpu,
    batchSize,
    view,
    identical,
  };
}

function byPartition(topic: OrderEventsTopic, events: OrderEventEnvelope[]) {
  const partitions = new Map<number, OrderEventEnvelope[]>();
  for (const event of events) {
    const partition = topic.partitionOf(event.orderId);
    const list = partitions.get(partition) ?? [];
    list.push(event);
    partitions.set(partition, list);
  }
  return partitions;
}

/** Grows the topic to BENCH_REPLAY_EVENTS, lets the live projector catch up, then replays. */
async function timeReplayOf({
  topic,
  projector,
  db,
  readDb,
  results,
}: LiveRound): Promise<ReplayResults> {
  const before = results.view;
  const isAlive = () => projector.process.exitCode === null;
  const more = SETTINGS.replayEvents - SETTINGS.events;
  log(`growing the topic by ${more} events to ${SETTINGS.replayEvents}`);
  await produce(topic, interleavedOrderEvents(more, SETTINGS.orderIds.newId));
  const endOffsets = await topic.endOffsets();
  await waitUntilCaughtUp(db, topic.name, endOffsets, { isAlive, log });
  const live = await viewFingerprint(readDb.adminUrl);

  log(`replaying ${SETTINGS.replayEvents} events`);
  const window = cpuWindow(projector.process.pid);
  window.start();
  const rate = await timeReplay(projector, SETTINGS.replayEvents, { isAlive, log });
  const cpu = { usage: window.stop(), events: SETTINGS.replayEvents };
  const replayed = await viewFingerprint(readDb.adminUrl);
  return {
    rate,
    cpu,
    batchSize: Math.round(await meanBatchSize(projector, 'replay')),
    identical: isDeepStrictEqual(live, replayed) && live.rows > before.rows && live.parked === 0,
  };
}

function printLive(live: LiveResults): void {
  console.log(
    `\nProjector: ${SETTINGS.events} events of ${live.view.rows} orders on ${SETTINGS.partitions} ` +
      `partitions, produced before the start; ${SETTINGS.concurrency} partitions at once, ` +
      `pool ${SETTINGS.poolMax}`,
  );
  console.log(`  ${''.padEnd(42)} ${'events/s'.padStart(10)} ${'seconds'.padStart(8)}`);
  console.log(`  ${'projector (live consumer)'.padEnd(42)} ${formatRate(live.projector)}`);
  console.log(
    `  ${`baseline pg upserts, batches of ${live.batchSize}`.padEnd(42)} ${formatRate(live.baseline)}`,
  );
  const ratio = live.projector.eventsPerSecond / live.baseline.eventsPerSecond;
  console.log(`  ${'ratio projector / baseline'.padEnd(42)} ${ratio.toFixed(2).padStart(10)}`);
  printLiveCpu(live.projectorCpu, live.baselineCpu);
  console.log(
    `  batch size: the projector's mean live batch (projector_batch_size sum / count); ` +
      `views identical: ${live.identical ? 'yes' : 'NO'}`,
  );
}

/** Each side's best rate over the rounds, and their ratio: the figure the target refers to. */
function printBestOf(rounds: LiveResults[]): void {
  const best = (side: (live: LiveResults) => PublishRate) =>
    rounds.map(side).reduce((a, b) => (b.eventsPerSecond > a.eventsPerSecond ? b : a));
  const projector = best((live) => live.projector);
  const baseline = best((live) => live.baseline);
  console.log(`\nBest of ${rounds.length} rounds`);
  console.log(`  ${''.padEnd(42)} ${'events/s'.padStart(10)} ${'seconds'.padStart(8)}`);
  console.log(`  ${'projector (live consumer)'.padEnd(42)} ${formatRate(projector)}`);
  console.log(`  ${'baseline pg upserts'.padEnd(42)} ${formatRate(baseline)}`);
  const ratio = projector.eventsPerSecond / baseline.eventsPerSecond;
  console.log(`  ${'ratio projector / baseline'.padEnd(42)} ${ratio.toFixed(2).padStart(10)}`);
  const perRound = rounds.map((live) =>
    (live.projector.eventsPerSecond / live.baseline.eventsPerSecond).toFixed(2),
  );
  console.log(`  ratio per round: ${perRound.join(', ')}`);
}

function printReplay(replay: ReplayResults): void {
  console.log(
    `\nReplay: ${SETTINGS.replayEvents} events, POST /admin/projections/order-view/replay ` +
      `until currentGeneration changes`,
  );
  console.log(`  ${''.padEnd(42)} ${'events/s'.padStart(10)} ${'seconds'.padStart(8)}`);
  console.log(
    `  ${`replay, mean batch ${replay.batchSize}`.padEnd(42)} ${formatRate(replay.rate)}`,
  );
  printReplayCpu(replay.cpu);
  console.log(`  replayed view equals the live one: ${replay.identical ? 'yes' : 'NO'}`);
}

function printLog(lines: string[]): void {
  if (lines.length === 0) return;
  console.log(`\nprojector printed ${lines.length} lines (first 20):`);
  for (const line of lines.slice(0, 20)) console.log(`  ${line}`);
}

function formatRate(rate: PublishRate): string {
  return `${rate.eventsPerSecond.toFixed(0).padStart(10)} ${rate.seconds.toFixed(1).padStart(8)}`;
}
