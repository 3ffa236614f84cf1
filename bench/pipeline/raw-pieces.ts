import type { Kafka, Message } from 'kafkajs';
import { Pool } from 'pg';
import { withTransaction } from '@app/database';
import { timeOrderedUuid } from '@app/order-events';
import { createDurableTopic } from '../../test/infra/topics';
import { runKafkaTool } from '../../tools/local-infra/kafka-cluster';
import type { BenchKafka } from '../bench-kafka';
import { connectRelayLikeProducer } from '../commands/outbox-publishing';
import { PLACE_ORDER_BODY, appendPlacedOrders, placedOrder } from '../commands/placed-orders';
import { runOpenLoop, type OpenLoopResult } from '../open-loop';

/** Connections of the raw pieces' pools: the apps' DATABASE_POOL_MAX default. */
const POOL_MAX = 10;

/**
 * The command-service's database work alone: one transaction per command holding its
 * OrderPlaced event and outbox row (the service's SQL), on `writeDbUrl` (a database no relay
 * reads).
 */
export async function rawInsertTransactions(
  writeDbUrl: string,
  rate: number,
  seconds: number,
): Promise<OpenLoopResult> {
  return withPool(writeDbUrl, (pool) =>
    runOpenLoop(rate, seconds, () =>
      withTransaction(pool, (client) =>
        appendPlacedOrders(client, [placedOrder(PLACE_ORDER_BODY)]),
      ),
    ),
  );
}

/** A pool of the apps' default size for `run`, ended after it. */
async function withPool<T>(url: string, run: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = new Pool({ connectionString: url, max: POOL_MAX });
  try {
    return await run(pool);
  } finally {
    await pool.end();
  }
}

/**
 * Records keyed by a new order id each, acks=all from an idempotent producer, sent as a producer
 * with Java's default linger (5 ms) sends them: what arrives while a send is in flight or within
 * 5 ms goes out together, one send at a time, as the relay sends its batches. Each record's
 * latency runs from its arrival to its batch's acknowledgement.
 */
export async function rawProduces(
  kafka: Kafka,
  topic: string,
  partitions: number,
  rate: number,
  seconds: number,
): Promise<OpenLoopResult> {
  await createDurableTopic(kafka, topic, partitions);
  const producer = await connectRelayLikeProducer(kafka);
  try {
    const value = placedOrder(PLACE_ORDER_BODY).payload;
    const batcher = new LingerBatcher<Message>(LINGER_MS, (messages) =>
      producer.send({ topic, acks: -1, messages }),
    );
    return await runOpenLoop(rate, seconds, () => batcher.add({ key: timeOrderedUuid(), value }));
  } finally {
    await producer.disconnect();
  }
}

/** The Java producer's default linger.ms. */
const LINGER_MS = 5;

/**
 * Collects items for `lingerMs` after the first, or while the previous flush is in flight,
 * then flushes them together; each add resolves when its flush does.
 */
class LingerBatcher<T> {
  private pending: { item: T; done: () => void; failed: (error: unknown) => void }[] = [];
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly lingerMs: number,
    private readonly flush: (items: T[]) => Promise<unknown>,
  ) {}

  add(item: T): Promise<void> {
    return new Promise((done, failed) => {
      this.pending.push({ item, done, failed });
      this.timer ??= setTimeout(() => void this.flushPending(), this.lingerMs);
    });
  }

  private async flushPending(): Promise<void> {
    await this.flushing;
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.flushing = this.flush(batch.map((entry) => entry.item)).then(
      () => batch.forEach((entry) => entry.done()),
      (error: unknown) => batch.forEach((entry) => entry.failed(error)),
    );
    await this.flushing;
  }
}

/**
 * One upsert transaction per event into a table shaped like the view's essentials (id,
 * version, the order as jsonb), each a new order, on `scratchDbUrl`.
 */
export async function rawUpserts(
  scratchDbUrl: string,
  rate: number,
  seconds: number,
): Promise<OpenLoopResult> {
  return withPool(scratchDbUrl, async (pool) => {
    await pool.query(
      `CREATE TABLE IF NOT EXISTS raw_upserts
         (order_id text PRIMARY KEY, version int NOT NULL, view jsonb NOT NULL,
          updated_at timestamptz NOT NULL)`,
    );
    const view = JSON.stringify({ ...PLACE_ORDER_BODY, status: 'PLACED', total: 3_000 });
    return runOpenLoop(rate, seconds, () =>
      pool.query(
        `INSERT INTO raw_upserts (order_id, version, view, updated_at) VALUES ($1, 1, $2, now())
         ON CONFLICT (order_id) DO UPDATE
           SET version = excluded.version, view = excluded.view, updated_at = excluded.updated_at
           WHERE raw_upserts.version < excluded.version`,
        [timeOrderedUuid(), view],
      ),
    );
  });
}

export interface EndToEndLatency {
  averageMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Kafka's own EndToEndLatency tool (kafka-tools): `records` records of `bytes` sent one at a
 * time with acks=all and each consumed before the next is sent, on a one-partition topic of
 * the contract's durability; produce → consume latency as Kafka's Java clients see it.
 */
export async function kafkaEndToEndLatency(
  cluster: BenchKafka,
  topic: string,
  records: number,
  bytes: number,
): Promise<EndToEndLatency> {
  await createDurableTopic(cluster.client('bench-e2e-latency'), topic, 1);
  const stdout = await runKafkaTool(
    'org.apache.kafka.tools.EndToEndLatency',
    [
      '--bootstrap-server',
      cluster.brokers.join(','),
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--producer-acks',
      'all',
      '--record-size',
      String(bytes),
      '--command-config',
      cluster.clientPropertiesFile(),
    ],
    // One record at a time takes a few seconds; a stuck tool must not hang the bench.
    { heapMb: 256, timeoutMs: 180_000 },
  );
  // "Avg latency: 2.1234 ms" then "Percentiles: 50th = 2, 99th = 5, 99.9th = 9"
  const average = /Avg latency: ([\d.]+) ms/.exec(stdout);
  const percentiles = /50th = (\d+), 99th = (\d+)/.exec(stdout);
  if (!average || !percentiles) throw new Error(`unexpected EndToEndLatency output: ${stdout}`);
  return {
    averageMs: Number(average[1]),
    p50Ms: Number(percentiles[1]),
    p99Ms: Number(percentiles[2]),
  };
}
