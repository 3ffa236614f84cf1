import { Injectable } from '@nestjs/common';
import { inSpan } from '@app/tracing';
import { OrderViewStore, type OrderViewTransaction, type ParkedEventRow } from './order-view.store';
import { projectBatch, type BatchOutcome, type PositionedEvent } from './project-batch';
import {
  decisionKeyOf,
  decisionOf,
  resumeParked,
  type OperatorDecision,
  type ResumedOrder,
} from './resume-parked';

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
 * Writes the view. Each batch is one transaction: the rows it changed, the history of the events
 * it applied, the events it parked and the partition's next offset commit together or not at
 * all, which is what makes a crash at any moment harmless (the batch is read again and every
 * event in it is a duplicate or not yet applied, never half).
 */
@Injectable()
export class OrderViewWriter {
  constructor(private readonly store: OrderViewStore) {}

  applyBatch(
    target: TargetGeneration,
    batch: PartitionBatch,
  ): Promise<BatchOutcome & { generation: number }> {
    const attributes = {
      'order_view.target': String(target),
      'messaging.destination.partition.id': String(batch.partition),
      'order_view.events': batch.events.length,
    };
    return inSpan('order_view write', { attributes }, () => this.write(target, batch));
  }

  private async write(
    target: TargetGeneration,
    batch: PartitionBatch,
  ): Promise<BatchOutcome & { generation: number }> {
    return this.store.transaction(async (tx) => {
      // Locking order: the generation (share), then the partition, then the rows.
      const generation = target === 'current' ? await tx.lockCurrentGeneration() : target;
      await tx.lockPartition(generation, batch.partition);
      const orderIds = [...new Set(batch.events.map((event) => event.envelope.orderId))];
      const start = await tx.loadOrders(generation, orderIds);
      const outcome = projectBatch(start, batch.events);
      const checkpoint = {
        topic: batch.topic,
        partition: batch.partition,
        nextOffset: batch.nextOffset,
        lastEventAt: latestOccurredAt(batch.events),
      };
      const changes = {
        orders: outcome.changed.values(),
        history: outcome.history,
        heldBefore: start.orders,
      };
      await tx.saveBatch(generation, changes, checkpoint);
      if (outcome.parked.length > 0) {
        // After the batch's rows: an order resumed here may have had events applied before one
        // parked.
        await tx.parkEvents(generation, outcome.parked);
        const parkedOrders = outcome.parked.map((event) => event.envelope.orderId);
        const resumed = await this.resumeAsDecided(tx, generation, parkedOrders);
        if (resumed > 0 && outcome.changed.size === 0) await tx.notifyViewChanged();
      }
      return { ...outcome, generation };
    });
  }

  /**
   * Applies an order's parked events again, in version order, as far as they go. With `skip`,
   * the first one is set aside first: its version counts as seen without its content, which is
   * how an operator gets an order past a gap that will never be filled or an event this version
   * cannot apply. The decision is kept for every event it resolved, so that the generations
   * replays build resolve them the same way.
   */
  async resolveParked(orderId: string, action: 'retry' | 'skip'): Promise<ParkedResolution> {
    return this.store.transaction(async (tx) => {
      const generation = await tx.lockCurrentGeneration();
      const partition = await tx.parkedPartition(generation, orderId);
      if (partition === undefined) throw new OrderNotParkedError(orderId);
      await tx.lockPartition(generation, partition);
      const parked = await tx.lockOpenParkedEvents(generation, orderId);
      if (parked.length === 0) throw new OrderNotParkedError(orderId);

      const result = await this.resume(
        tx,
        generation,
        parked,
        (_, index) => action === 'skip' && index === 0,
      );
      await tx.saveDecisions(
        result.resolved.map(({ event, resolution }) => ({
          envelope: event.envelope,
          decision: decisionOf(resolution),
        })),
      );
      const building = await tx.generationBeingBuilt();
      if (building !== undefined && building !== generation) {
        // The replay's batches of this partition hold the same lock: either they see the
        // decision, or this sees what they parked.
        await tx.lockPartition(building, partition);
        await this.resumeAsDecided(tx, building, [orderId]);
      }
      await tx.notifyViewChanged();
      return {
        orderId,
        version: result.stored?.view.version ?? null,
        applied: result.resolved.filter((entry) => entry.resolution === 'applied').length,
        skipped: result.resolved.filter((entry) => entry.resolution === 'skipped').length,
        stillParked: result.stillParked,
      };
    });
  }

  /**
   * Orders parked on an event an operator resolved before (in this generation's predecessor: a
   * replay reads it again) are resolved the same way, so an operator decides once. Returns how
   * many orders it resumed.
   */
  private async resumeAsDecided(
    tx: OrderViewTransaction,
    generation: number,
    orderIds: string[],
  ): Promise<number> {
    const orders = [...new Set(orderIds)];
    const decisions = await tx.loadDecisions(orders);
    if (decisions.size === 0) return 0;
    const decided = (event: ParkedEventRow): OperatorDecision | undefined =>
      decisions.get(decisionKeyOf(event.envelope));
    let resumed = 0;
    for (const orderId of orders) {
      const parked = await tx.lockOpenParkedEvents(generation, orderId);
      if (!parked.some((event) => decided(event) !== undefined)) continue;
      await this.resume(tx, generation, parked, (event) => decided(event) === 'skip');
      resumed += 1;
    }
    return resumed;
  }

  /** `parked`: one order's open parked events in version order, locked. */
  private async resume(
    tx: OrderViewTransaction,
    generation: number,
    parked: ParkedEventRow[],
    skip: (event: ParkedEventRow, index: number) => boolean,
  ): Promise<ResumedOrder<ParkedEventRow>> {
    const orderId = parked[0].orderId;
    const { orders } = await tx.loadOrders(generation, [orderId]);
    const result = resumeParked(orders.get(orderId), parked, skip);
    if (result.stored) {
      await tx.saveOrders(generation, { orders: [result.stored], history: result.history });
    }
    if (result.blocked) {
      await tx.updateParkedReason(generation, result.blocked.event, result.blocked.reason);
    }
    await tx.resolveParkedEvents(generation, result.resolved);
    return result;
  }
}

function latestOccurredAt(events: PositionedEvent[]): string | null {
  let latest: string | null = null;
  let latestTime = -Infinity;
  for (const { envelope } of events) {
    const time = Date.parse(envelope.occurredAt);
    // A time that does not parse is the projection's to refuse; it must not fail the batch.
    if (time > latestTime) {
      latest = envelope.occurredAt;
      latestTime = time;
    }
  }
  return latest;
}
