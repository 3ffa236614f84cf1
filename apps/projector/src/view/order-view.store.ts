import type { OrderEventEnvelope } from '@app/order-events';
import type { BatchStart, ParkedEvent, StoredOrder } from './project-batch';
import type { OperatorDecision, ParkedResolutionKind } from './resume-parked';

/** What applying events changed: the rows as they are now, and the events applied (as read). */
export interface ViewChanges {
  orders: Iterable<StoredOrder>;
  history: readonly OrderEventEnvelope[];
  /**
   * The orders the view held a row of before these changes, as read under the partition's lock:
   * the rows of the others are new, and a large batch inserts them rather than upserting them.
   * Absent: any of the rows may be there.
   */
  heldBefore?: Pick<ReadonlySet<string>, 'has'>;
}

/** Where a partition's batch ended: stored with its rows. */
export interface BatchCheckpoint {
  topic: string;
  partition: number;
  nextOffset: string;
  lastEventAt: string | null;
}

/** A parked event as stored. */
export interface ParkedEventRow {
  topic: string;
  partition: number;
  offset: string;
  orderId: string;
  version: number;
  eventType: string;
  envelope: OrderEventEnvelope;
  reason: string;
  parkedAt: Date;
  resolution: ParkedResolutionKind | null;
  resolvedAt: Date | null;
}

/**
 * What one transaction of the view writer may do. Every call takes the generation it works on:
 * a replay writes the next generation while the current one serves. Everything written commits
 * together when the work resolves, or nothing does when it throws.
 */
export interface OrderViewTransaction {
  /**
   * The generation serving reads, locked in share mode until the transaction ends, so that a
   * replay's switch (which locks it for update) waits for batches in flight and they for it.
   */
  lockCurrentGeneration(): Promise<number>;

  /**
   * One writer per partition of a generation at a time: a consumer that lost the partition in a
   * rebalance may still be finishing a batch the new owner also reads, and an operator's retry
   * touches the same rows.
   */
  lockPartition(generation: number, partition: number): Promise<void>;

  /** The stored rows of `orderIds`, and which of them have open parked events. */
  loadOrders(generation: number, orderIds: readonly string[]): Promise<BatchStart>;

  /**
   * What a batch writes, at once: the rows it changed, the history rows of the events it
   * applied, the partition's next offset (which never moves backwards) and, if rows changed, the
   * query-service's wake-up.
   */
  saveBatch(generation: number, changes: ViewChanges, checkpoint: BatchCheckpoint): Promise<void>;

  /** Rows and their history rows; a history row already there is left as it is. */
  saveOrders(generation: number, changes: ViewChanges): Promise<void>;

  /** Wakes the query-service's waiters once the transaction commits. */
  notifyViewChanged(): Promise<void>;

  /** Parks `events`; the same offsets parked again (a batch read again) are kept once. */
  parkEvents(generation: number, events: readonly ParkedEvent[]): Promise<void>;

  /** The partition of the order's open parked events; undefined when it has none. */
  parkedPartition(generation: number, orderId: string): Promise<number | undefined>;

  /** The order's open parked events in version order; locked until the transaction ends. */
  lockOpenParkedEvents(generation: number, orderId: string): Promise<ParkedEventRow[]>;

  resolveParkedEvents(
    generation: number,
    resolved: readonly { event: ParkedEventRow; resolution: ParkedResolutionKind }[],
  ): Promise<void>;

  updateParkedReason(generation: number, event: ParkedEventRow, reason: string): Promise<void>;

  /** Operators' decisions on events of `orderIds`, taken in any generation, by decisionKey. */
  loadDecisions(orderIds: readonly string[]): Promise<Map<string, OperatorDecision>>;

  saveDecisions(
    decisions: readonly { envelope: OrderEventEnvelope; decision: OperatorDecision }[],
  ): Promise<void>;

  /** The generation a running replay is building, if one runs. */
  generationBeingBuilt(): Promise<number | undefined>;
}

/**
 * The view writer's storage (the port; the projection module binds the PostgreSQL adapter):
 * rows, history, checkpoints, parked events and decisions, one transaction per unit of work.
 */
export abstract class OrderViewStore {
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  abstract transaction<T>(work: (tx: OrderViewTransaction) => Promise<T>): Promise<T>;

  /** The generation serving reads now (no lock). */
  abstract currentGeneration(): Promise<number>;
}
