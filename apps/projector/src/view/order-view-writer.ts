import { Inject, Injectable } from '@nestjs/common';
import { Pool, type PoolClient } from 'pg';
import { withTransaction } from '@app/database';
import { projectOrderEvent, skipOrderEvent } from '@app/order-view';
import {
  projectBatch,
  storedAfter,
  type BatchOutcome,
  type PositionedEvent,
  type StoredOrder,
} from './project-batch';
import {
  loadOrders,
  lockCurrentGeneration,
  lockOpenParkedEvents,
  lockPartition,
  notifyViewChanged,
  resolveParkedEvents,
  saveCheckpoint,
  saveOrders,
  saveParkedEvents,
  updateParkedReason,
  type ParkedEventRow,
} from './order-view.tables';

export interface PartitionBatch {
  topic: string;
  partition: number;
  events: PositionedEvent[];
  /** The offset after the batch, stored with its results. */
  nextOffset: string;
}

/** The current generation (live consumption) or a given one (a replay building it). */
export type TargetGeneration = 'current' | number;

export interface ParkedResolution {
  orderId: string;
  /** The row's version afterwards; null when the order has no row (its OrderPlaced is parked). */
  version: number | null;
  applied: number;
  skipped: number;
  stillParked: number;
}

export class OrderNotParkedError extends Error {
  constructor(readonly orderId: string) {
    super(`Order ${orderId} has no parked events`);
    this.name = 'OrderNotParkedError';
  }
}

/**
 * Writes the view. Each batch is one transaction: the rows it changed, the events it parked and
 * the partition's next offset commit together or not at all, which is what makes a crash at any
 * moment harmless (the batch is read again and every event in it is a duplicate or not yet
 * applied, never half).
 */
@Injectable()
export class OrderViewWriter {
  constructor(@Inject(Pool) private readonly pool: Pool) {}

  async applyBatch(
    target: TargetGeneration,
    batch: PartitionBatch,
  ): Promise<BatchOutcome & { generation: number }> {
    return withTransaction(this.pool, async (client) => {
      const generation = target === 'current' ? await lockCurrentGeneration(client) : target;
      await lockPartition(client, generation, batch.partition);
      const orderIds = [...new Set(batch.events.map((event) => event.envelope.orderId))];
      const start = await loadOrders(client, generation, orderIds);
      const outcome = projectBatch(start, batch.events);
      await saveOrders(client, generation, outcome.changed.values());
      await saveParkedEvents(client, generation, outcome.parked);
      await saveCheckpoint(client, generation, batch.topic, {
        partition: batch.partition,
        nextOffset: batch.nextOffset,
        lastEventAt: latestOccurredAt(batch.events),
      });
      // Also for a replay: its generation may have become current meanwhile, and waking the
      // query-service's waiters for nothing costs one lookup.
      if (outcome.changed.size > 0) await notifyViewChanged(client);
      return { ...outcome, generation };
    });
  }

  /**
   * Applies an order's parked events again, in version order, as far as they go. With `skip`,
   * the first one is set aside first: its version counts as seen without its content, which is
   * how an operator gets an order past a gap that will never be filled or an event this version
   * cannot apply.
   */
  async resolveParked(orderId: string, action: 'retry' | 'skip'): Promise<ParkedResolution> {
    return withTransaction(this.pool, async (client) => {
      const generation = await lockCurrentGeneration(client);
      const partition = await this.parkedPartition(client, generation, orderId);
      await lockPartition(client, generation, partition);
      const parked = await lockOpenParkedEvents(client, generation, orderId);
      if (parked.length === 0) throw new OrderNotParkedError(orderId);

      const { orders } = await loadOrders(client, generation, [orderId]);
      let stored: StoredOrder | undefined = orders.get(orderId);
      const resolved: { event: ParkedEventRow; resolution: 'applied' | 'skipped' | 'duplicate' }[] =
        [];
      let remaining = parked;
      if (action === 'skip') {
        const [first, ...rest] = parked;
        if (stored && first.version > stored.view.version) {
          const view = skipOrderEvent(stored.view, first.envelope);
          stored = storedAfter(stored, first.envelope, view, { applied: false });
        }
        resolved.push({ event: first, resolution: 'skipped' });
        remaining = rest;
      }
      let blocked = 0;
      for (const [index, event] of remaining.entries()) {
        const outcome = projectOrderEvent(stored?.view, event.envelope);
        if (outcome.kind === 'unapplicable') {
          await updateParkedReason(client, generation, event, outcome.reason);
          blocked = remaining.length - index;
          break;
        }
        if (outcome.kind === 'applied') {
          stored = storedAfter(stored, event.envelope, outcome.view, { applied: true });
        }
        resolved.push({ event, resolution: outcome.kind });
      }
      if (stored) await saveOrders(client, generation, [stored]);
      await resolveParkedEvents(client, generation, resolved);
      await notifyViewChanged(client);
      return {
        orderId,
        version: stored?.view.version ?? null,
        applied: resolved.filter((entry) => entry.resolution === 'applied').length,
        skipped: resolved.filter((entry) => entry.resolution === 'skipped').length,
        stillParked: blocked,
      };
    });
  }

  private async parkedPartition(
    client: PoolClient,
    generation: number,
    orderId: string,
  ): Promise<number> {
    const { rows } = await client.query<{ partition: number }>(
      `SELECT partition FROM parked_events
        WHERE generation = $1 AND order_id = $2 AND resolution IS NULL LIMIT 1`,
      [generation, orderId],
    );
    if (rows.length === 0) throw new OrderNotParkedError(orderId);
    return rows[0].partition;
  }
}

function latestOccurredAt(events: PositionedEvent[]): string | null {
  let latest: string | null = null;
  for (const { envelope } of events) {
    // A time that does not parse is the projection's to refuse; it must not fail the batch.
    if (Number.isNaN(Date.parse(envelope.occurredAt))) continue;
    if (latest === null || Date.parse(envelope.occurredAt) > Date.parse(latest)) {
      latest = envelope.occurredAt;
    }
  }
  return latest;
}
