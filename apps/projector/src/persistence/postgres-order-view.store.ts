import { Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { OrderEventEnvelope } from '@app/order-events';
import type { BatchStart, ParkedEvent } from '../view/project-batch';
import {
  OrderViewStore,
  type BatchCheckpoint,
  type OrderViewTransaction,
  type ParkedEventRow,
  type ViewChanges,
} from '../view/order-view.store';
import type { OperatorDecision, ParkedResolutionKind } from '../view/resume-parked';
import { OrderViewRepository } from './order-view.repository';
import { ParkedEventRepository } from './parked-event.repository';
import { ReadDatabase } from './read-database';
import { ReplayRepository } from './replay.repository';

/**
 * The view writer's storage in PostgreSQL: one `withTransaction` per unit of work, each call one
 * statement of a repository on that transaction's connection.
 */
@Injectable()
export class PostgresOrderViewStore extends OrderViewStore {
  constructor(
    private readonly database: ReadDatabase,
    private readonly view: OrderViewRepository,
    private readonly parked: ParkedEventRepository,
    private readonly replays: ReplayRepository,
  ) {
    super();
  }

  transaction<T>(work: (tx: OrderViewTransaction) => Promise<T>): Promise<T> {
    return this.database.transaction((client) =>
      work(new PostgresOrderViewTransaction(client, this.view, this.parked, this.replays)),
    );
  }

  currentGeneration(): Promise<number> {
    return this.view.currentGeneration();
  }
}

class PostgresOrderViewTransaction implements OrderViewTransaction {
  constructor(
    private readonly client: PoolClient,
    private readonly view: OrderViewRepository,
    private readonly parked: ParkedEventRepository,
    private readonly replays: ReplayRepository,
  ) {}

  lockCurrentGeneration(): Promise<number> {
    return this.view.lockCurrentGeneration(this.client);
  }

  lockPartition(generation: number, partition: number): Promise<void> {
    return this.view.lockPartition(generation, partition, this.client);
  }

  loadOrders(generation: number, orderIds: readonly string[]): Promise<BatchStart> {
    return this.view.loadOrders(generation, orderIds, this.client);
  }

  saveBatch(generation: number, changes: ViewChanges, checkpoint: BatchCheckpoint): Promise<void> {
    // Notifying also for a replay: its generation may have become current meanwhile, and waking
    // the query-service's waiters for nothing costs one lookup.
    return this.view.saveBatch(generation, changes, checkpoint, { notify: true }, this.client);
  }

  saveOrders(generation: number, changes: ViewChanges): Promise<void> {
    return this.view.saveOrders(generation, changes, this.client);
  }

  notifyViewChanged(): Promise<void> {
    return this.view.notifyViewChanged(this.client);
  }

  parkEvents(generation: number, events: readonly ParkedEvent[]): Promise<void> {
    return this.parked.save(generation, events, this.client);
  }

  parkedPartition(generation: number, orderId: string): Promise<number | undefined> {
    return this.parked.openPartition(generation, orderId, this.client);
  }

  lockOpenParkedEvents(generation: number, orderId: string): Promise<ParkedEventRow[]> {
    return this.parked.lockOpen(generation, orderId, this.client);
  }

  resolveParkedEvents(
    generation: number,
    resolved: readonly { event: ParkedEventRow; resolution: ParkedResolutionKind }[],
  ): Promise<void> {
    return this.parked.resolve(generation, resolved, this.client);
  }

  updateParkedReason(generation: number, event: ParkedEventRow, reason: string): Promise<void> {
    return this.parked.updateReason(generation, event, reason, this.client);
  }

  loadDecisions(orderIds: readonly string[]): Promise<Map<string, OperatorDecision>> {
    return this.parked.loadDecisions(orderIds, this.client);
  }

  saveDecisions(
    decisions: readonly { envelope: OrderEventEnvelope; decision: OperatorDecision }[],
  ): Promise<void> {
    return this.parked.saveDecisions(decisions, this.client);
  }

  generationBeingBuilt(): Promise<number | undefined> {
    return this.replays.generationBeingBuilt(this.client);
  }
}
