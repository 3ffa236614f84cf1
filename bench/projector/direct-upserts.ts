import { Pool } from 'pg';
import { OrderViewRepository } from '../../apps/projector/src/persistence/order-view.repository';
import { storedAfter, type StoredOrder } from '../../apps/projector/src/view/project-batch';
import { withTransaction } from '@app/database';
import type { OrderEventEnvelope } from '@app/order-events';
import { projectOrderEvent } from '@app/order-view';
import type { PublishRate } from '../commands/outbox-publishing';
import type { CpuUsage, CpuWindow } from '../cpu-usage';

/** The generation a fresh read database serves (libs/order-view/migrations). */
const FIRST_GENERATION = 1;

export interface DirectUpsertSettings {
  batchSize: number;
  /** Partitions written at once, as PROJECTOR_PARTITIONS_CONCURRENTLY. */
  concurrency: number;
  poolMax: number;
  /**
   * Measures CPU over the same span as the clock, before the pool closes: PostgreSQL's backends
   * end with it, and their CPU with them.
   */
  cpu: CpuWindow;
}

export interface DirectUpsertResult {
  rate: PublishRate;
  cpu: CpuUsage;
}

/**
 * The projector's database work and nothing else: each partition's events, in offset order,
 * folded with projectOrderEvent into rows kept in memory, and written in batches of
 * `batchSize`, each one transaction holding the changed rows, their history rows and the
 * partition's checkpoint, with the projector's own SQL (OrderViewRepository.saveBatch: one
 * statement, after a large batch's COPYs of its history and new rows). No Kafka, no decoding, no
 * reading rows back (the rows held before a batch are known here), no locks, no NOTIFY.
 */
export async function timeDirectUpserts(
  databaseUrl: string,
  topic: string,
  byPartition: ReadonlyMap<number, readonly OrderEventEnvelope[]>,
  { batchSize, concurrency, poolMax, cpu }: DirectUpsertSettings,
): Promise<DirectUpsertResult> {
  const pool = new Pool({
    connectionString: databaseUrl,
    max: poolMax,
    application_name: 'bench direct upserts',
  });
  try {
    // Connections opened before the clock starts, as the projector's are.
    await Promise.all(Array.from({ length: concurrency }, () => pool.query('SELECT 1')));
    const queue = [...byPartition];
    const started = process.hrtime.bigint();
    cpu.start();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          await upsertPartition(pool, topic, next[0], next[1], batchSize);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const usage = cpu.stop();
    const events = [...byPartition.values()].reduce((sum, list) => sum + list.length, 0);
    return { rate: { events, seconds, eventsPerSecond: events / seconds }, cpu: usage };
  } finally {
    await pool.end();
  }
}

async function upsertPartition(
  pool: Pool,
  topic: string,
  partition: number,
  events: readonly OrderEventEnvelope[],
  batchSize: number,
): Promise<void> {
  const view = new OrderViewRepository(pool);
  const rows = new Map<string, StoredOrder>();
  for (let start = 0; start < events.length; start += batchSize) {
    const batch = events.slice(start, start + batchSize);
    const changed = new Map<string, StoredOrder>();
    const history: OrderEventEnvelope[] = [];
    // What the projector reads back before a batch: which of its orders already have a row.
    const heldBefore = new Set(batch.map((e) => e.orderId).filter((id) => rows.has(id)));
    for (const event of batch) {
      const stored = rows.get(event.orderId);
      const outcome = projectOrderEvent(stored?.view, event);
      if (outcome.kind !== 'applied') {
        throw new Error(`event ${event.eventId} did not apply (${outcome.kind}): a bench bug`);
      }
      const next = storedAfter(stored, event, outcome.view, { applied: true });
      rows.set(event.orderId, next);
      changed.set(event.orderId, next);
      history.push(outcome.event);
    }
    const checkpoint = {
      topic,
      partition,
      nextOffset: String(start + batch.length),
      lastEventAt: latestOccurredAt(batch),
    };
    await withTransaction(pool, (client) =>
      view.saveBatch(
        FIRST_GENERATION,
        { orders: changed.values(), history, heldBefore },
        checkpoint,
        { notify: false },
        client,
      ),
    );
  }
}

/** ISO 8601 UTC times of one format compare as text. */
function latestOccurredAt(events: readonly OrderEventEnvelope[]): string {
  return events.reduce((latest, e) => (e.occurredAt > latest ? e.occurredAt : latest), '');
}
